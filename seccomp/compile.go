package seccomp

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Program is a compiled filter, ready for Load. It is plain data so that the
// host-side parent can compile and the init stage only load.
type Program struct {
	// Insns are struct sock_filter entries (8 bytes each, host order).
	Insns []byte `json:"insns"`
	// Flags are SECCOMP_FILTER_FLAG_* bits for seccomp(2).
	Flags uint `json:"flags,omitempty"`
}

// Len is the number of BPF instructions.
func (p *Program) Len() int { return len(p.Insns) / 8 }

// Offsets in struct seccomp_data: nr, arch, instruction_pointer, args[6].
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// ErrUnsupportedArch: urun has no syscall table for the host.
var ErrUnsupportedArch = errors.New("seccomp filters are only supported on x86_64")

// rule is one compiled rule of one syscall: all conds must hold (AND).
type rule struct {
	conds  []specs.LinuxSeccompArg
	action uint32
}

// sysRules are the rules of one syscall number.
type sysRules struct {
	nr uint32
	// conditional rules, in profile order: the first that matches decides.
	rules []rule
	// fallback: the action when no conditional rule matches (an
	// unconditional rule's, else the default).
	fallback  uint32
	hasUncond bool
}

// Compile turns an OCI seccomp configuration into a BPF program for the
// host's architecture, with libseccomp's and runc's meaning:
//
//   - The architecture is checked first. The native ABI is filtered by
//     syscall number. A foreign ABI the kernel also runs (i386 and x32 on
//     x86_64) gets the default action for every syscall if the profile lists
//     it, and kills the process if not: a foreign ABI is never filtered by
//     the native table, so it cannot slip past the filter (i386's socketcall
//     would bypass the socket family checks).
//   - Syscall names the table lacks (newer than x/sys, or other arches')
//     are skipped, as docker and libseccomp do.
//   - Rules with conditions are tried in profile order before a rule
//     without; conditions of one rule must all hold, except that several
//     conditions on the same argument are separate rules (runc's reading).
//   - 64-bit arguments are compared as two 32-bit halves.
func Compile(c *specs.LinuxSeccomp) (*Program, error) {
	if native == nil {
		return nil, ErrUnsupportedArch
	}
	if c == nil {
		return nil, errors.New("no seccomp configuration to compile")
	}
	def, err := actionValue(c.DefaultAction, c.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %w", err)
	}
	flags, err := filterFlags(c.Flags)
	if err != nil {
		return nil, err
	}
	listed := map[specs.Arch]bool{}
	for _, a := range c.Architectures {
		if !knownArches[a] {
			return nil, fmt.Errorf("unknown architecture %q in the profile", a)
		}
		listed[a] = true
	}
	bySys := map[uint32]*sysRules{}
	for i, s := range c.Syscalls {
		act, err := actionValue(s.Action, s.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d] (%s): %w", i, names(s.Names), err)
		}
		for _, a := range s.Args {
			if a.Index > 5 {
				return nil, fmt.Errorf("syscalls[%d] (%s): argument index %d: a syscall has arguments 0 to 5", i, names(s.Names), a.Index)
			}
			if !knownOps[a.Op] {
				return nil, fmt.Errorf("syscalls[%d] (%s): unknown operator %q", i, names(s.Names), a.Op)
			}
		}
		rs := splitRules(s.Args, act)
		for _, n := range s.Names {
			nr, ok := native.names[n]
			if !ok {
				continue
			}
			sr := bySys[nr]
			if sr == nil {
				sr = &sysRules{nr: nr, fallback: def}
				bySys[nr] = sr
			}
			if len(rs) == 0 {
				if !sr.hasUncond {
					sr.hasUncond, sr.fallback = true, act
				}
				continue
			}
			sr.rules = append(sr.rules, rs...)
		}
	}
	sys := make([]*sysRules, 0, len(bySys))
	for _, sr := range bySys {
		// A syscall whose every way ends in the default action needs no
		// check of its own.
		if sr.fallback == def && !slices.ContainsFunc(sr.rules, func(r rule) bool { return r.action != def }) {
			continue
		}
		sys = append(sys, sr)
	}
	slices.SortFunc(sys, func(a, b *sysRules) int { return cmp.Compare(a.nr, b.nr) })

	var a asm
	// Emitted backwards: the syscall tree comes last in the program.
	tree := emitTree(&a, sys, def)
	killProc := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	if native.subABIBit != 0 {
		sub := killProc
		if listed[native.subABI] {
			sub = def
		}
		subRet := a.ret(sub)
		// Syscall number -1 (what a tracer sets to skip a call) has the
		// bit too but is no x32 call: the tree gives it the default.
		notSkip := a.jump(bpf.JumpEqual, 0xffffffff, tree, subRet)
		a.jump(bpf.JumpGreaterOrEqual, native.subABIBit, notSkip, tree)
	}
	nativeStart := a.load(offNr)
	foreign := a.ret(killProc)
	if native.compat != "" && listed[native.compat] {
		compatRet := a.ret(def)
		foreign = a.jump(bpf.JumpEqual, native.compatAudit, compatRet, foreign)
	}
	a.jump(bpf.JumpEqual, native.audit, nativeStart, foreign)
	a.load(offArch)
	raw, err := a.program()
	if err != nil {
		return nil, err
	}
	p := &Program{Insns: make([]byte, 0, 8*len(raw)), Flags: flags}
	for _, r := range raw {
		p.Insns = binary.NativeEndian.AppendUint16(p.Insns, r.Op)
		p.Insns = append(p.Insns, r.Jt, r.Jf)
		p.Insns = binary.NativeEndian.AppendUint32(p.Insns, r.K)
	}
	return p, nil
}

// splitRules makes the rules of one profile entry: none if it has no
// conditions, one with all of them, or (runc's reading, which profiles are
// written for) one per condition when an argument is compared twice.
func splitRules(args []specs.LinuxSeccompArg, act uint32) []rule {
	if len(args) == 0 {
		return nil
	}
	var seen [6]bool
	repeated := false
	for _, a := range args {
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
	}
	if !repeated {
		return []rule{{conds: args, action: act}}
	}
	rs := make([]rule, 0, len(args))
	for _, a := range args {
		rs = append(rs, rule{conds: []specs.LinuxSeccompArg{a}, action: act})
	}
	return rs
}

// leafSize is how many syscalls a leaf of the search tree checks one by one.
const leafSize = 8

// emitTree emits a binary search over the sorted syscalls (A holds the
// syscall number) and returns its entry; a number that is not there gets
// def.
func emitTree(a *asm, sys []*sysRules, def uint32) label {
	if len(sys) <= leafSize {
		next := a.ret(def)
		for i := len(sys) - 1; i >= 0; i-- {
			next = emitSyscall(a, sys[i], next)
		}
		return next
	}
	mid := len(sys) / 2
	right := emitTree(a, sys[mid:], def)
	left := emitTree(a, sys[:mid], def)
	return a.jump(bpf.JumpGreaterOrEqual, sys[mid].nr, right, left)
}

// emitSyscall emits "if nr == s.nr { its rules } else goto next". Every
// way through its rules ends in a return, so A still holds nr at next.
func emitSyscall(a *asm, s *sysRules, next label) label {
	target := a.ret(s.fallback)
	for i := len(s.rules) - 1; i >= 0; i-- {
		r := s.rules[i]
		ok := a.ret(r.action)
		for j := len(r.conds) - 1; j >= 0; j-- {
			ok = emitCond(a, r.conds[j], ok, target)
		}
		target = ok
	}
	return a.jump(bpf.JumpEqual, s.nr, target, next)
}

var knownOps = map[specs.LinuxSeccompOperator]bool{
	specs.OpEqualTo: true, specs.OpNotEqual: true, specs.OpLessThan: true,
	specs.OpLessEqual: true, specs.OpGreaterThan: true, specs.OpGreaterEqual: true,
	specs.OpMaskedEqual: true,
}

// emitCond emits one 64-bit comparison of an argument: on true go to ok,
// else to fail. The argument's halves sit at 16+8i (low) and 16+8i+4
// (high) on a little-endian host.
func emitCond(a *asm, c specs.LinuxSeccompArg, ok, fail label) label {
	lo, hi := offArgs+8*uint32(c.Index), offArgs+8*uint32(c.Index)+4
	vLo, vHi := uint32(c.Value), uint32(c.Value>>32)
	switch c.Op {
	case specs.OpEqualTo, specs.OpNotEqual:
		yes, no := ok, fail
		if c.Op == specs.OpNotEqual {
			yes, no = fail, ok
		}
		a.jump(bpf.JumpEqual, vLo, yes, no)
		loPart := a.load(lo)
		a.jump(bpf.JumpEqual, vHi, loPart, no)
		return a.load(hi)
	case specs.OpMaskedEqual:
		// (arg & Value) == ValueTwo; with ValueTwo 0: none of the bits set.
		wLo, wHi := uint32(c.ValueTwo), uint32(c.ValueTwo>>32)
		a.jump(bpf.JumpEqual, wLo, ok, fail)
		a.and(vLo)
		loPart := a.load(lo)
		a.jump(bpf.JumpEqual, wHi, loPart, fail)
		a.and(vHi)
		return a.load(hi)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		// hi > vHi, or hi == vHi and lo > (>=) vLo.
		cond := bpf.JumpGreaterThan
		if c.Op == specs.OpGreaterEqual {
			cond = bpf.JumpGreaterOrEqual
		}
		a.jump(cond, vLo, ok, fail)
		loPart := a.load(lo)
		eq := a.jump(bpf.JumpEqual, vHi, loPart, fail)
		a.jump(bpf.JumpGreaterThan, vHi, ok, eq)
		return a.load(hi)
	default: // LT, LE
		// hi < vHi, or hi == vHi and lo < (<=) vLo: the negation of
		// lo >= (>) vLo.
		cond := bpf.JumpGreaterOrEqual
		if c.Op == specs.OpLessEqual {
			cond = bpf.JumpGreaterThan
		}
		a.jump(cond, vLo, fail, ok)
		loPart := a.load(lo)
		eq := a.jump(bpf.JumpEqual, vHi, loPart, fail)
		a.jump(bpf.JumpGreaterOrEqual, vHi, eq, ok)
		return a.load(hi)
	}
}

// actionValue is the filter's return value for an action: libseccomp's
// names, errno EPERM when the profile names none (runc's default).
func actionValue(act specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := uint(unix.EPERM)
	if errnoRet != nil {
		data = *errnoRet
	}
	if data > unix.SECCOMP_RET_DATA {
		return 0, fmt.Errorf("errnoRet %d is too large (at most %d)", data, unix.SECCOMP_RET_DATA)
	}
	switch act {
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | uint32(data), nil
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | uint32(data), nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	case specs.ActNotify:
		return 0, errors.New("SCMP_ACT_NOTIFY needs a seccomp agent, which urun does not have")
	case "":
		return 0, errors.New("no action given")
	}
	return 0, fmt.Errorf("unknown action %q", act)
}

// filterFlags maps the profile's flags to seccomp(2)'s. TSYNC is accepted
// and not used: the filter goes on the thread that execs, which becomes the
// whole process.
func filterFlags(fs []specs.LinuxSeccompFlag) (uint, error) {
	var f uint
	for _, fl := range fs {
		switch fl {
		case specs.LinuxSeccompFlagLog:
			f |= unix.SECCOMP_FILTER_FLAG_LOG
		case specs.LinuxSeccompFlagSpecAllow:
			f |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		case "SECCOMP_FILTER_FLAG_TSYNC":
		default:
			return 0, fmt.Errorf("unsupported seccomp flag %q: urun knows SECCOMP_FILTER_FLAG_LOG and SECCOMP_FILTER_FLAG_SPEC_ALLOW", fl)
		}
	}
	return f, nil
}

func names(ns []string) string {
	switch len(ns) {
	case 0:
		return "no names"
	case 1:
		return ns[0]
	}
	return ns[0] + ", ..."
}
