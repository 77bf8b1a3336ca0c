package seccomp

import (
	"encoding/binary"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var fuzzOps = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan,
	specs.OpLessEqual, specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}

var fuzzActs = []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno, specs.ActKillProcess, specs.ActLog}

// fuzzValues are the argument values rules and calls draw from, so that
// comparisons meet equal, neighbouring and far values in both halves.
var fuzzValues = []uint64{0, 1, 2, 0xffffffff, 0x1_0000_0000, 0x1_0000_0001, 0xffff_ffff_ffff_ffff, 0x8000_0000_0000_0000}

// reference is what the filter must answer, computed from the profile
// directly with the meaning Compile documents.
func reference(s *specs.LinuxSeccomp, c call) uint32 {
	def, _ := actionValue(s.DefaultAction, s.DefaultErrnoRet)
	uncond, found := uint32(0), false
	for _, r := range s.Syscalls {
		match := false
		for _, n := range r.Names {
			nr, known := sysnumAMD64[n]
			match = match || known && nr == c.nr
		}
		if !match {
			continue
		}
		act, _ := actionValue(r.Action, r.ErrnoRet)
		rs := splitRules(r.Args, act)
		if len(rs) == 0 {
			if !found {
				uncond, found = act, true
			}
			continue
		}
		for _, ru := range rs {
			ok := true
			for _, a := range ru.conds {
				ok = ok && holds(a, c.args[a.Index])
			}
			if ok {
				return ru.action
			}
		}
	}
	if found {
		return uncond
	}
	return def
}

func holds(a specs.LinuxSeccompArg, v uint64) bool {
	switch a.Op {
	case specs.OpEqualTo:
		return v == a.Value
	case specs.OpNotEqual:
		return v != a.Value
	case specs.OpLessThan:
		return v < a.Value
	case specs.OpLessEqual:
		return v <= a.Value
	case specs.OpGreaterThan:
		return v > a.Value
	case specs.OpGreaterEqual:
		return v >= a.Value
	}
	return v&a.Value == a.ValueTwo
}

// FuzzCompile builds a profile from the bytes (4 bytes a rule: syscall,
// action, operator and argument, values) and checks the compiled filter
// against reference on calls drawn from the same values.
func FuzzCompile(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 1, 1, 3, 1, 2, 0x13, 4})
	f.Add(make([]byte, 400))
	f.Fuzz(func(t *testing.T, b []byte) {
		// A handful of syscalls, so that rules pile up on each.
		names := []string{"read", "write", "openat", "ioctl", "socket", "mkdir", "kill", "not_a_syscall"}
		s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
		for i := 0; i+4 <= len(b) && i < 4*400; i += 4 {
			r := specs.LinuxSyscall{Names: []string{names[b[i]%8]}, Action: fuzzActs[b[i+1]%4]}
			if r.Action == specs.ActErrno {
				e := uint(b[i+1])
				r.ErrnoRet = &e
			}
			for k := 0; k < int(b[i+2]>>6); k++ { // 0 to 3 conditions
				r.Args = append(r.Args, specs.LinuxSeccompArg{
					Index: uint((b[i+2] >> (2 * k)) % 3), Op: fuzzOps[(b[i+2]+byte(k))%7],
					Value: fuzzValues[b[i+3]%8], ValueTwo: fuzzValues[(b[i+3]>>3)%8] & fuzzValues[b[i+3]%8],
				})
			}
			s.Syscalls = append(s.Syscalls, r)
		}
		p, err := Compile(s)
		if err != nil {
			return // too large for the kernel: refused, fine
		}
		vm := newVM(t, p)
		seed := binary.LittleEndian.Uint64(append(append([]byte(nil), b...), make([]byte, 8)...))
		for _, n := range names[:7] {
			for j := 0; j < 24; j++ {
				x := seed + uint64(j)*0x9e3779b97f4a7c15
				c := x86(sysnumAMD64[n], fuzzValues[x%8], fuzzValues[(x>>8)%8], fuzzValues[(x>>16)%8])
				if got, want := vm(c), reference(s, c); got != want {
					t.Fatalf("%s%v: filter %#x, reference %#x", n, c.args[:3], got, want)
				}
			}
		}
		if got := vm(call{arch: unix.AUDIT_ARCH_AARCH64}); got != unix.SECCOMP_RET_KILL_PROCESS {
			t.Fatalf("foreign arch: %#x", got)
		}
	})
}
