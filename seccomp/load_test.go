package seccomp

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestLoadOnThisKernel loads filters into a child process (this test binary
// again) and makes the syscalls for real: the kernel accepts the program
// and returns what the profile says.
func TestLoadOnThisKernel(t *testing.T) {
	if os.Getenv("URUN_SECCOMP_CHILD") != "" {
		return
	}
	for _, which := range []string{"custom", "default"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoadChild$", "-test.v")
		cmd.Env = append(os.Environ(), "URUN_SECCOMP_CHILD="+which, "URUN_SECCOMP_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s profile: %v\n%s", which, err, out)
		}
	}
}

// TestLoadChild is the child of TestLoadOnThisKernel.
func TestLoadChild(t *testing.T) {
	which := os.Getenv("URUN_SECCOMP_CHILD")
	if which == "" {
		t.Skip("only run as TestLoadOnThisKernel's child")
	}
	// The filter goes on this thread only: every syscall below must come
	// from it.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("URUN_SECCOMP_DIR")
	if which == "custom" {
		eacces := uint(unix.EACCES)
		p, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eacces},
			{Names: []string{"fchmodat"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 2, Value: 0o777, Op: specs.OpEqualTo}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Load(); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mkdirat(unix.AT_FDCWD, dir+"/d", 0o755); !errors.Is(err, unix.EACCES) {
			t.Errorf("mkdirat: %v, want EACCES", err)
		}
		if err := unix.Fchmodat(unix.AT_FDCWD, dir, 0o777, 0); !errors.Is(err, unix.EPERM) {
			t.Errorf("fchmodat 0777: %v, want EPERM", err)
		}
		if err := unix.Fchmodat(unix.AT_FDCWD, dir, 0o700, 0); err != nil {
			t.Errorf("fchmodat 0700: %v", err)
		}
		return
	}
	p := compileDefault(t, podmanCaps)
	if err := p.Load(); err != nil {
		t.Fatal(err)
	}
	if _, _, e := unix.Syscall(unix.SYS_KEYCTL, 0, 0, 0); e != unix.EPERM {
		t.Errorf("keyctl: %v, want EPERM", e)
	}
	if _, _, e := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0); e != unix.ENOSYS {
		t.Errorf("clone3: %v, want ENOSYS", e)
	}
	if err := unix.Unshare(unix.CLONE_NEWUSER); !errors.Is(err, unix.EPERM) {
		t.Errorf("unshare(CLONE_NEWUSER): %v, want EPERM", err)
	}
	if err := unix.Mkdirat(unix.AT_FDCWD, dir+"/d", 0o755); err != nil {
		t.Errorf("mkdirat under the default profile: %v", err)
	}
	// A thread the Go runtime starts from here inherits the filter.
	done := make(chan error)
	go func() { done <- os.WriteFile(dir+"/f", []byte("x"), 0o600) }()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
