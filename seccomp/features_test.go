package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestFeaturesCompile: every action, operator, arch and flag the features
// list names is one the compiler accepts, so `urun features` never promises
// what a profile then cannot use.
func TestFeaturesCompile(t *testing.T) {
	if native == nil {
		t.Skip("no seccomp syscall table for this architecture")
	}
	base := func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	}
	for _, a := range Actions() {
		c := base()
		c.Syscalls = []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.LinuxSeccompAction(a)}}
		if _, err := Compile(c); err != nil {
			t.Errorf("action %s: %v", a, err)
		}
	}
	for _, op := range Operators() {
		c := base()
		c.Syscalls = []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, ValueTwo: 8, Op: specs.LinuxSeccompOperator(op)}}}}
		if _, err := Compile(c); err != nil {
			t.Errorf("operator %s: %v", op, err)
		}
	}
	c := base()
	for _, a := range Arches() {
		c.Architectures = append(c.Architectures, specs.Arch(a))
	}
	for _, f := range Flags() {
		c.Flags = append(c.Flags, specs.LinuxSeccompFlag(f))
	}
	if _, err := Compile(c); err != nil {
		t.Errorf("arches %v, flags %v: %v", Arches(), Flags(), err)
	}
	if len(Operators()) != 7 || len(Actions()) != 8 {
		t.Errorf("operators %v, actions %v", Operators(), Actions())
	}
}
