package seccomp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const dockerProfile = `{
	"defaultAction": "SCMP_ACT_ALLOW",
	"archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
	"syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
		{"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_CHROOT"]}},
		{"names": ["reboot"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_BOOT"]}},
		{"name": "ptrace", "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "99.0"}}
	]
}`

const ociProfile = `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 38,
	"architectures": ["SCMP_ARCH_X86_64"],
	"flags": ["SECCOMP_FILTER_FLAG_LOG"],
	"syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]
}`

func TestParseDockerProfile(t *testing.T) {
	s, err := Parse([]byte(dockerProfile), []string{"CAP_CHOWN"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Architectures); got != 3 {
		t.Errorf("architectures %v, want x86_64 with its two sub-architectures", s.Architectures)
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	eacces := unix.SECCOMP_RET_ERRNO | uint32(unix.EACCES)
	for _, tc := range []struct {
		c    call
		want uint32
	}{
		{x86(unix.SYS_MKDIR), eacces}, {x86(unix.SYS_MKDIRAT), eacces},
		{x86(unix.SYS_CHROOT), eperm}, // excluded only with CAP_SYS_CHROOT
		{x86(unix.SYS_REBOOT), allow}, // included only with CAP_SYS_BOOT
		{x86(unix.SYS_PTRACE), allow}, // only on kernel 99
		{x86(unix.SYS_RMDIR), allow},
		{call{arch: unix.AUDIT_ARCH_I386, nr: 39}, allow}, // listed: the default action
	} {
		if got := run(t, p, tc.c); got != tc.want {
			t.Errorf("%+v: got %#x, want %#x", tc.c, got, tc.want)
		}
	}
	s, err = Parse([]byte(dockerProfile), []string{"CAP_SYS_CHROOT", "CAP_SYS_BOOT"})
	if err != nil {
		t.Fatal(err)
	}
	p, _ = Compile(s)
	if got := run(t, p, x86(unix.SYS_CHROOT)); got != allow {
		t.Errorf("chroot with CAP_SYS_CHROOT: got %#x", got)
	}
	if got := run(t, p, x86(unix.SYS_REBOOT)); got != eperm {
		t.Errorf("reboot with CAP_SYS_BOOT: got %#x", got)
	}
}

func TestParseOCIProfile(t *testing.T) {
	s, err := Parse([]byte(ociProfile), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.Flags != unix.SECCOMP_FILTER_FLAG_LOG {
		t.Errorf("flags %#x", p.Flags)
	}
	if got := run(t, p, x86(unix.SYS_SOCKET, 2)); got != allow {
		t.Errorf("socket(AF_INET): %#x", got)
	}
	if got := run(t, p, x86(unix.SYS_SOCKET, 10)); got != enosys {
		t.Errorf("socket(AF_INET6): %#x, want ENOSYS", got)
	}
	if got := run(t, p, x86(unix.SYS_GETPID)); got != enosys {
		t.Errorf("getpid: %#x, want ENOSYS", got)
	}
	if got := run(t, p, call{arch: unix.AUDIT_ARCH_I386, nr: 3}); got != killProc {
		t.Errorf("i386 not listed: %#x, want kill", got)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "decoding the profile"},
		{`{`, "decoding the profile"},
		{"{\n\"defaultAction\": \"SCMP_ACT_ERRNO\",\n\"syscalls\": [}", "line 3"},
		{`[]`, "decoding the profile"},
		{`{}`, "no defaultAction"},
		{`{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`, "no defaultAction"},
		{`{"defaultAction": "SCMP_ACT_SOMETIMES"}`, "unknown action"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"]}]}`, "no action"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`, "both 'name' and 'names'"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}`, "both 'architectures' and 'archMap'"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "x"}}]}`, "invalid kernel version"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]}`, "argument index 9"},
	} {
		_, err := Parse([]byte(tc.in), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error with %q", tc.in, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: the error is not one line: %q", tc.in, err)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "p.json")
	if err := os.WriteFile(good, []byte(ociProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(good, nil); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(filepath.Join(dir, "missing.json"), nil)
	if err == nil || err.Error() != "reading the profile: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadFile(dir, nil); err == nil || err.Error() != "reading the profile: is a directory" {
		t.Errorf("a directory: %v", err)
	}
}

// TestDefaultResolvesCaps: the default profile follows the bounding set.
func TestDefaultResolvesCaps(t *testing.T) {
	has := func(s *specs.LinuxSeccomp, name string) bool {
		for _, r := range s.Syscalls {
			for _, n := range r.Names {
				if n == name && r.Action == specs.ActAllow && len(r.Args) == 0 {
					return true
				}
			}
		}
		return false
	}
	plain, err := Default(podmanCaps)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := Default([]string{"CAP_SYS_ADMIN"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"mount", "unshare", "setns", "umount2"} {
		if has(plain, n) {
			t.Errorf("%s allowed without its capability", n)
		}
		if !has(admin, n) {
			t.Errorf("%s not allowed with CAP_SYS_ADMIN", n)
		}
	}
	if plain.DefaultAction != specs.ActErrno {
		t.Errorf("default action %s", plain.DefaultAction)
	}
}

// FuzzLoadProfile: any bytes give a profile or an error, never a panic,
// and a profile that parses compiles.
func FuzzLoadProfile(f *testing.F) {
	f.Add([]byte(dockerProfile))
	f.Add([]byte(ociProfile))
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]}`))
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 70000}]}`))
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [null]}`))
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "excludes": {}, "includes": {"arches": ["amd64"], "caps": ["CAP_X"]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b, podmanCaps)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error is not one line: %q", err)
			}
			return
		}
		p, err := Compile(s)
		if err != nil {
			t.Fatalf("parsed but does not compile: %v", err)
		}
		// Every jump lands inside the program (NewVM checks, as the
		// kernel does) and a syscall always meets a return.
		for _, c := range []call{x86(unix.SYS_READ), x86(unix.SYS_SOCKET, 2), x86(0x40000001), {arch: unix.AUDIT_ARCH_I386}} {
			run(t, p, c)
		}
	})
}
