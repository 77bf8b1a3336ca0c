package seccomp

import (
	"encoding/binary"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// call is one syscall as the kernel shows it to the filter.
type call struct {
	arch uint32
	nr   uint32
	args [6]uint64
}

// run runs p on c in x/net/bpf's VM. The VM loads words big-endian (network
// order) where the kernel loads them in host order, so seccomp_data is laid
// out word by word in big-endian here: every load the filter makes is an
// aligned 32-bit word.
func run(t *testing.T, p *Program, c call) uint32 {
	t.Helper()
	return newVM(t, p)(c)
}

// newVM loads p into x/net/bpf's VM, which checks (as the kernel does) that
// every jump lands inside the program, and returns a runner for calls.
func newVM(t *testing.T, p *Program) func(call) uint32 {
	t.Helper()
	raw := make([]bpf.RawInstruction, p.Len())
	for i := range raw {
		b := p.Insns[8*i:]
		raw[i] = bpf.RawInstruction{Op: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:])}
	}
	insns, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("the program has instructions x/net/bpf does not know")
	}
	if _, last := insns[len(insns)-1].(bpf.RetConstant); !last {
		t.Fatal("the program does not end in a return")
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatalf("the program is invalid: %v", err)
	}
	return func(c call) uint32 {
		t.Helper()
		data := make([]byte, 64)
		binary.BigEndian.PutUint32(data[offNr:], c.nr)
		binary.BigEndian.PutUint32(data[offArch:], c.arch)
		for i, a := range c.args {
			binary.BigEndian.PutUint32(data[offArgs+8*i:], uint32(a))
			binary.BigEndian.PutUint32(data[offArgs+8*i+4:], uint32(a>>32))
		}
		out, err := vm.Run(data)
		if err != nil {
			t.Fatalf("running the program: %v", err)
		}
		return uint32(out)
	}
}

func x86(nr uint32, args ...uint64) call {
	c := call{arch: unix.AUDIT_ARCH_X86_64, nr: nr}
	copy(c.args[:], args)
	return c
}

const (
	allow    = unix.SECCOMP_RET_ALLOW
	eperm    = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	enosys   = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	killProc = unix.SECCOMP_RET_KILL_PROCESS
)

func compileDefault(t testing.TB, caps []string) *Program {
	t.Helper()
	s, err := Default(caps)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// podmanCaps is the container's default bounding set (spec.DefaultCaps).
var podmanCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT",
}

func TestDefaultProfile(t *testing.T) {
	p := compileDefault(t, podmanCaps)
	admin := compileDefault(t, append(append([]string(nil), podmanCaps...), "CAP_SYS_ADMIN"))
	goThread := uint64(unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_SYSVSEM | unix.CLONE_THREAD)
	for _, tc := range []struct {
		name string
		p    *Program
		c    call
		want uint32
	}{
		{"read is allowed", p, x86(unix.SYS_READ), allow},
		{"write is allowed", p, x86(unix.SYS_WRITE, 1, 0xdeadbeef, 5), allow},
		{"execve is allowed", p, x86(unix.SYS_EXECVE), allow},
		{"capset is allowed", p, x86(unix.SYS_CAPSET), allow},
		{"prctl is allowed", p, x86(unix.SYS_PRCTL), allow},
		{"close_range is allowed", p, x86(unix.SYS_CLOSE_RANGE), allow},
		{"keyctl is refused with EPERM", p, x86(unix.SYS_KEYCTL), eperm},
		{"add_key is refused", p, x86(unix.SYS_ADD_KEY), eperm},
		{"io_uring_setup is refused", p, x86(unix.SYS_IO_URING_SETUP), eperm},
		{"userfaultfd is refused", p, x86(unix.SYS_USERFAULTFD), eperm},
		{"a number no kernel has is refused", p, x86(4000), eperm},
		{"clone3 gets ENOSYS so glibc falls back to clone", p, x86(unix.SYS_CLONE3), enosys},
		{"plain clone (a thread) is allowed", p, x86(unix.SYS_CLONE, goThread), allow},
		{"fork-style clone is allowed", p, x86(unix.SYS_CLONE, uint64(unix.SIGCHLD)), allow},
		{"clone with CLONE_NEWUSER is refused", p, x86(unix.SYS_CLONE, unix.CLONE_NEWUSER|uint64(unix.SIGCHLD)), eperm},
		{"clone with CLONE_NEWNET is refused", p, x86(unix.SYS_CLONE, unix.CLONE_NEWNET), eperm},
		{"unshare is refused", p, x86(unix.SYS_UNSHARE, unix.CLONE_NEWUSER), eperm},
		{"mount is refused", p, x86(unix.SYS_MOUNT), eperm},
		{"with CAP_SYS_ADMIN clone with CLONE_NEWUSER is allowed", admin, x86(unix.SYS_CLONE, unix.CLONE_NEWUSER), allow},
		{"with CAP_SYS_ADMIN clone3 is allowed", admin, x86(unix.SYS_CLONE3), allow},
		{"with CAP_SYS_ADMIN mount is allowed", admin, x86(unix.SYS_MOUNT), allow},
		{"personality(0) is allowed", p, x86(unix.SYS_PERSONALITY, 0), allow},
		{"personality(0xffffffff) (query) is allowed", p, x86(unix.SYS_PERSONALITY, 0xffffffff), allow},
		{"personality with a 64-bit value whose low half is 0 is refused", p, x86(unix.SYS_PERSONALITY, 1<<32), eperm},
		{"personality(READ_IMPLIES_EXEC) is refused", p, x86(unix.SYS_PERSONALITY, 0x0400000), eperm},
		{"socket(AF_INET) is allowed", p, x86(unix.SYS_SOCKET, unix.AF_INET), allow},
		{"socket(AF_UNIX) is allowed", p, x86(unix.SYS_SOCKET, unix.AF_UNIX), allow},
		{"socket(AF_NETLINK) is allowed", p, x86(unix.SYS_SOCKET, unix.AF_NETLINK), allow},
		{"socket(AF_VSOCK) is refused", p, x86(unix.SYS_SOCKET, unix.AF_VSOCK), eperm},
		{"socket(AF_ALG) is refused", p, x86(unix.SYS_SOCKET, unix.AF_ALG), eperm},
		{"socket(AF_INET | 1<<32) is refused", p, x86(unix.SYS_SOCKET, unix.AF_INET|1<<32), eperm},
		{"an x32 syscall gets the default action", p, x86(0x40000000 | unix.SYS_READ), eperm},
		{"an i386 syscall gets the default action", p, call{arch: unix.AUDIT_ARCH_I386, nr: 3}, eperm},
		{"an unknown arch kills the process", p, call{arch: unix.AUDIT_ARCH_AARCH64, nr: unix.SYS_READ}, killProc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, tc.p, tc.c); got != tc.want {
				t.Errorf("got %#x, want %#x", got, tc.want)
			}
		})
	}
	t.Logf("default profile: %d instructions", p.Len())
}

func errno(e unix.Errno) *uint { u := uint(e); return &u }

func TestCompileConditions(t *testing.T) {
	big := uint64(0x1_0000_0005)
	rules := func(op specs.LinuxSeccompOperator, v, v2 uint64) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{
				Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: errno(unix.EACCES),
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: v, ValueTwo: v2, Op: op}},
			}},
		}
	}
	eacces := unix.SECCOMP_RET_ERRNO | uint32(unix.EACCES)
	for _, tc := range []struct {
		op     specs.LinuxSeccompOperator
		v, v2  uint64
		arg    uint64
		denied bool
	}{
		{specs.OpEqualTo, big, 0, big, true},
		{specs.OpEqualTo, big, 0, 5, false},
		{specs.OpEqualTo, big, 0, 0x2_0000_0005, false},
		{specs.OpNotEqual, big, 0, big, false},
		{specs.OpNotEqual, big, 0, 5, true},
		{specs.OpGreaterThan, big, 0, big + 1, true},
		{specs.OpGreaterThan, big, 0, big, false},
		{specs.OpGreaterThan, big, 0, 0xffffffff, false},
		{specs.OpGreaterThan, big, 0, 0x2_0000_0000, true},
		{specs.OpGreaterEqual, big, 0, big, true},
		{specs.OpGreaterEqual, big, 0, big - 1, false},
		{specs.OpLessThan, big, 0, big - 1, true},
		{specs.OpLessThan, big, 0, big, false},
		{specs.OpLessThan, big, 0, 0xffffffff, true},
		{specs.OpLessThan, big, 0, 0x2_0000_0000, false},
		{specs.OpLessEqual, big, 0, big, true},
		{specs.OpLessEqual, big, 0, big + 1, false},
		{specs.OpMaskedEqual, 0x1_0000_00f0, 0x1_0000_0010, 0x3_0000_0017, true},
		{specs.OpMaskedEqual, 0x1_0000_00f0, 0x1_0000_0010, 0x0_0000_0017, false},
		{specs.OpMaskedEqual, 0x1_0000_00f0, 0, 0x2_0000_0f0f, true}, // bits not set
		{specs.OpMaskedEqual, 0x1_0000_00f0, 0, 0x0_0000_0010, false},
		{specs.OpMaskedEqual, 0x1_0000_00f0, 0, 0x1_0000_0000, false},
	} {
		p, err := Compile(rules(tc.op, tc.v, tc.v2))
		if err != nil {
			t.Fatal(err)
		}
		want := uint32(allow)
		if tc.denied {
			want = eacces
		}
		if got := run(t, p, x86(unix.SYS_MKDIR, 0, tc.arg)); got != want {
			t.Errorf("%s %#x/%#x on %#x: got %#x, want %#x", tc.op, tc.v, tc.v2, tc.arg, got, want)
		}
		if got := run(t, p, x86(unix.SYS_RMDIR, 0, tc.arg)); got != allow {
			t.Errorf("%s: rmdir got %#x, want allow", tc.op, got)
		}
	}
}

func TestCompileRules(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: errno(unix.ENOTSUP),
		Architectures:   []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{
			// Two arguments: AND.
			{Names: []string{"openat"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 3, Op: specs.OpEqualTo}, {Index: 2, Value: 0, Op: specs.OpEqualTo}}},
			// The same argument twice: OR (runc's reading).
			{Names: []string{"kill"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 1, Value: 9, Op: specs.OpEqualTo}, {Index: 1, Value: 15, Op: specs.OpEqualTo}}},
			{Names: []string{"getpid", "not_a_syscall_anywhere"}, Action: specs.ActAllow},
			{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
			{Names: []string{"uname"}, Action: specs.ActTrap},
			{Names: []string{"getuid"}, Action: specs.ActLog},
			{Names: []string{"getgid"}, Action: specs.ActTrace, ErrnoRet: errno(7)},
			{Names: []string{"gettid"}, Action: specs.ActKill},
			// Conditional before unconditional whatever the order.
			{Names: []string{"dup"}, Action: specs.ActAllow},
			{Names: []string{"dup"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 99, Op: specs.OpEqualTo}}},
		},
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	enotsup := unix.SECCOMP_RET_ERRNO | uint32(unix.ENOTSUP)
	for _, tc := range []struct {
		name string
		c    call
		want uint32
	}{
		{"openat(3, x, 0)", x86(unix.SYS_OPENAT, 3, 0, 0), allow},
		{"openat(3, x, 1)", x86(unix.SYS_OPENAT, 3, 0, 1), enotsup},
		{"openat(4, x, 0)", x86(unix.SYS_OPENAT, 4, 0, 0), enotsup},
		{"kill 9", x86(unix.SYS_KILL, 1, 9), allow},
		{"kill 15", x86(unix.SYS_KILL, 1, 15), allow},
		{"kill 1", x86(unix.SYS_KILL, 1, 1), enotsup},
		{"getpid", x86(unix.SYS_GETPID), allow},
		{"ptrace", x86(unix.SYS_PTRACE), unix.SECCOMP_RET_KILL_PROCESS},
		{"uname", x86(unix.SYS_UNAME), unix.SECCOMP_RET_TRAP},
		{"getuid", x86(unix.SYS_GETUID), unix.SECCOMP_RET_LOG},
		{"getgid", x86(unix.SYS_GETGID), unix.SECCOMP_RET_TRACE | 7},
		{"gettid", x86(unix.SYS_GETTID), unix.SECCOMP_RET_KILL_THREAD},
		{"dup(99)", x86(unix.SYS_DUP, 99), eperm},
		{"dup(1)", x86(unix.SYS_DUP, 1), allow},
		{"read: default errno", x86(unix.SYS_READ), enotsup},
		{"x32 not listed: kill", x86(0x40000000 | unix.SYS_GETPID), killProc},
		{"i386 not listed: kill", call{arch: unix.AUDIT_ARCH_I386, nr: 20}, killProc},
		{"syscall -1 (a tracer's skip) is no x32 call: default", x86(0xffffffff), enotsup},
	} {
		if got := run(t, p, tc.c); got != tc.want {
			t.Errorf("%s: got %#x, want %#x", tc.name, got, tc.want)
		}
	}
}

// TestCompileLongJumps: a profile with many syscalls and many conditions
// on one, so jumps need trampolines; every syscall still gets its action.
func TestCompileLongJumps(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	var allowed []string
	for name, nr := range sysnumAMD64 {
		if nr%2 == 0 {
			allowed = append(allowed, name)
		}
	}
	s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: allowed, Action: specs.ActAllow})
	for v := uint64(0); v < 120; v++ {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"write"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 1, Value: v * 3, Op: specs.OpEqualTo}}})
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, nr := range sysnumAMD64 {
		want := uint32(eperm)
		if nr%2 == 0 {
			want = allow
		}
		if nr == unix.SYS_WRITE {
			continue
		}
		if got := run(t, p, x86(nr)); got != want {
			t.Errorf("syscall %d: got %#x, want %#x", nr, got, want)
		}
	}
	for v := uint64(0); v < 360; v++ {
		want := uint32(eperm)
		if v%3 == 0 {
			want = allow
		}
		if got := run(t, p, x86(unix.SYS_WRITE, 0, v)); got != want {
			t.Errorf("write(0, %d): got %#x, want %#x", v, got, want)
		}
	}
	t.Logf("%d instructions", p.Len())
}

func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct {
		s    specs.LinuxSeccomp
		want string
	}{
		{specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}, "unknown action"},
		{specs.LinuxSeccomp{}, "no action"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActNotify}, "SCMP_ACT_NOTIFY"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errno(0x10000)}, "too large"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_Z80"}}, "unknown architecture"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_NEW_LISTENER"}}, "unsupported seccomp flag"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}, "argument index"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_LIKE"}}}}}, "unknown operator"},
	} {
		_, err := Compile(&tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error with %q", tc.s, err, tc.want)
		}
	}
}

func TestFlags(t *testing.T) {
	p, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, "SECCOMP_FILTER_FLAG_TSYNC"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := uint(unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW); p.Flags != want {
		t.Errorf("flags %#x, want %#x", p.Flags, want)
	}
}

// BenchmarkCompileDefault: resolving and compiling the default profile, the
// work the host-side parent does on every run.
func BenchmarkCompileDefault(b *testing.B) {
	for b.Loop() {
		s, err := Default(podmanCaps)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile(s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCompileSameActionBothWays: a conditional rule whose action is the
// syscall's fallback too must still leave every path well formed.
func TestCompileSameActionBothWays(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"dup"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}}},
		{Names: []string{"dup"}, Action: specs.ActAllow},
		{Names: []string{"dup2"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpGreaterThan}}},
		{Names: []string{"read"}, Action: specs.ActAllow},
	}}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    call
		want uint32
	}{
		{x86(unix.SYS_DUP, 1), allow}, {x86(unix.SYS_DUP, 7), allow},
		{x86(unix.SYS_DUP2, 0), eperm}, {x86(unix.SYS_DUP2, 9), eperm},
		{x86(unix.SYS_READ), allow}, {x86(unix.SYS_WRITE), eperm},
	} {
		if got := run(t, p, tc.c); got != tc.want {
			t.Errorf("%+v: got %#x, want %#x", tc.c, got, tc.want)
		}
	}
}

// TestDefaultProfileAllowsTheInitStage: between loading the filter and the
// exec, the init stage drops capabilities, may set no_new_privs, marks fds
// close-on-exec and execs, and the Go runtime under it keeps running; none
// of that may be refused, whatever the container's capabilities.
func TestDefaultProfileAllowsTheInitStage(t *testing.T) {
	calls := map[string]uint32{
		"prctl": unix.SYS_PRCTL, "capget": unix.SYS_CAPGET, "capset": unix.SYS_CAPSET,
		"openat": unix.SYS_OPENAT, "read": unix.SYS_READ, "close": unix.SYS_CLOSE,
		"close_range": unix.SYS_CLOSE_RANGE, "fcntl": unix.SYS_FCNTL, "execve": unix.SYS_EXECVE,
		"write": unix.SYS_WRITE, "exit_group": unix.SYS_EXIT_GROUP, "futex": unix.SYS_FUTEX,
		"mmap": unix.SYS_MMAP, "munmap": unix.SYS_MUNMAP, "madvise": unix.SYS_MADVISE,
		"rt_sigreturn": unix.SYS_RT_SIGRETURN, "rt_sigprocmask": unix.SYS_RT_SIGPROCMASK,
		"rt_sigaction": unix.SYS_RT_SIGACTION, "sigaltstack": unix.SYS_SIGALTSTACK,
		"sched_yield": unix.SYS_SCHED_YIELD, "nanosleep": unix.SYS_NANOSLEEP,
		"tgkill": unix.SYS_TGKILL, "getpid": unix.SYS_GETPID, "gettid": unix.SYS_GETTID,
		"epoll_pwait": unix.SYS_EPOLL_PWAIT, "clock_gettime": unix.SYS_CLOCK_GETTIME,
	}
	for _, caps := range [][]string{nil, podmanCaps} {
		p := compileDefault(t, caps)
		for name, nr := range calls {
			if got := run(t, p, x86(nr)); got != allow {
				t.Errorf("caps %v: %s got %#x, want allow", caps, name, got)
			}
		}
	}
}
