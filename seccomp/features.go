package seccomp

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// actions are the actions Compile turns into a filter's return value (see
// actionValue); SCMP_ACT_NOTIFY is not among them: it needs an agent.
var actions = []specs.LinuxSeccompAction{
	specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap,
	specs.ActErrno, specs.ActTrace, specs.ActAllow, specs.ActLog,
}

// Actions lists the actions a profile may use, for `urun features`.
func Actions() []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	return out
}

// Operators lists the argument comparisons Compile knows.
func Operators() []string {
	out := make([]string, 0, len(knownOps))
	for op := range knownOps {
		out = append(out, string(op))
	}
	slices.Sort(out)
	return out
}

// Arches lists the architectures the filter tells apart on this host: the
// native one, checked syscall by syscall, and the ABIs beside it that a
// profile may list to give them its default action (killed otherwise). Nil
// where Compile has no syscall table.
func Arches() []string {
	if native == nil {
		return nil
	}
	out := []string{string(native.spec)}
	for _, a := range []specs.Arch{native.subABI, native.compat} {
		if a != "" {
			out = append(out, string(a))
		}
	}
	return out
}

// Flags lists the filter flags a profile may name (TSYNC is accepted and
// not needed, see filterFlags).
func Flags() []string {
	return []string{string(specs.LinuxSeccompFlagLog), string(specs.LinuxSeccompFlagSpecAllow), "SECCOMP_FILTER_FLAG_TSYNC"}
}
