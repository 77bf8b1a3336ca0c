package spec

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseCaps(t *testing.T) {
	got, err := ParseCaps("--cap-add", []string{"net_raw", "CAP_SYS_ADMIN,sys_ptrace", "all", "NET_RAW"})
	want := []string{"CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "ALL"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseCaps = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "CAP_", "NET_RAWX", "cap_foo"} {
		if _, err := ParseCaps("--cap-drop", []string{bad}); err == nil {
			t.Errorf("ParseCaps(%q) accepted", bad)
		}
	}
}

func TestMergeCaps(t *testing.T) {
	base := []string{"CAP_CHOWN", "CAP_KILL"}
	for _, c := range []struct {
		add, drop, want []string
		bad             bool
	}{
		{nil, nil, []string{"CAP_CHOWN", "CAP_KILL"}, false},
		{[]string{"CAP_NET_RAW"}, []string{"CAP_KILL"}, []string{"CAP_CHOWN", "CAP_NET_RAW"}, false},
		{[]string{"CAP_NET_RAW"}, []string{"ALL"}, []string{"CAP_NET_RAW"}, false},
		{nil, []string{"ALL"}, []string{}, false},
		{[]string{"CAP_KILL"}, []string{"CAP_KILL"}, nil, true},
		{[]string{"ALL"}, []string{"ALL"}, nil, true},
	} {
		got, err := MergeCaps(base, c.add, c.drop)
		if c.bad != (err != nil) || !c.bad && !reflect.DeepEqual(got, c.want) {
			t.Errorf("MergeCaps(%v, %v) = %v, %v; want %v", c.add, c.drop, got, err, c.want)
		}
	}
	all, err := MergeCaps(base, []string{"ALL"}, []string{"CAP_SYS_ADMIN"})
	if err != nil || has(all, "CAP_SYS_ADMIN") || !has(all, "CAP_SYS_PTRACE") {
		t.Errorf("ALL minus SYS_ADMIN = %v, %v", all, err)
	}
}

func TestParseSysctls(t *testing.T) {
	got, err := ParseSysctls([]string{"net.ipv4.ip_forward=1", "net/core/somaxconn=100", "kernel.shmmax=1000", "fs.mqueue.msg_max=20", "net.ipv4.ping_group_range=0 2147483647"})
	want := map[string]string{"net.ipv4.ip_forward": "1", "net.core.somaxconn": "100", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "20", "net.ipv4.ping_group_range": "0 2147483647"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseSysctls = %v, %v", got, err)
	}
	for _, bad := range []string{"kernel.pid_max=5", "vm.swappiness=1", "net..x=1", "net.ipv4.ip_forward", "=1", "net.a=1\n2", "net.../x=1"} {
		if _, err := ParseSysctls([]string{bad}); err == nil {
			t.Errorf("ParseSysctls(%q) accepted", bad)
		}
	}
	if p := SysctlPath("net.ipv4.ip_forward"); p != "/proc/sys/net/ipv4/ip_forward" {
		t.Errorf("SysctlPath = %s", p)
	}
}

func TestParseUlimits(t *testing.T) {
	got, err := ParseUlimits([]string{"nofile=100:200", "core=-1", "nproc=50", "nofile=10:20"})
	want := []specs.POSIXRlimit{
		{Type: "RLIMIT_CORE", Soft: math.MaxUint64, Hard: math.MaxUint64},
		{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20},
		{Type: "RLIMIT_NPROC", Soft: 50, Hard: 50},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseUlimits = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"nofile", "nofile=", "nofile=a", "nofile=200:100", "bogus=1", "nofile=1:2:3", "nofile=-2"} {
		if _, err := ParseUlimits([]string{bad}); err == nil {
			t.Errorf("ParseUlimits(%q) accepted", bad)
		}
	}
}

func TestParseUserNS(t *testing.T) {
	for _, ok := range []string{"", "host", "keep-id"} {
		if _, err := ParseUserNS(ok); err != nil {
			t.Errorf("ParseUserNS(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"auto", "keep-id:uid=1", "private", "nomap"} {
		if _, err := ParseUserNS(bad); err == nil {
			t.Errorf("ParseUserNS(%q) accepted", bad)
		}
	}
}

func TestNewProcessPart(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc", "group"), []byte("wheel:x:10:alice\n"), 0o644)

	s, err := New(Options{Rootfs: root, Args: []string{"sh"}, Workdir: "/", NetNS: true})
	if err != nil {
		t.Fatal(err)
	}
	p := s.Process
	if p.NoNewPrivileges {
		t.Error("no_new_privs is on by default; podman leaves it off")
	}
	if p.User.UID != 0 || !reflect.DeepEqual(p.Capabilities.Effective, sorted(DefaultCaps)) {
		t.Errorf("root: user %+v, effective %v", p.User, p.Capabilities.Effective)
	}
	if s.Linux.Sysctl["net.ipv4.ping_group_range"] != "0 0" {
		t.Errorf("default sysctls %v", s.Linux.Sysctl)
	}

	s, err = New(Options{Rootfs: root, Args: []string{"sh"}, Workdir: "/", Env: []string{"HOME=/mine"},
		Process: ProcessOptions{User: "alice", CapAdd: []string{"CAP_NET_RAW"}}})
	if err != nil {
		t.Fatal(err)
	}
	p = s.Process
	if p.User.UID != 1000 || p.User.GID != 1000 || !reflect.DeepEqual(p.User.AdditionalGids, []uint32{10}) {
		t.Errorf("alice: %+v", p.User)
	}
	env := strings.Join(p.Env, " ")
	if !strings.Contains(env, "HOME=/mine") || strings.Contains(env, "HOME=/home/alice") || !strings.Contains(env, "USER=alice") {
		t.Errorf("env %s: want -e HOME to win and USER=alice", env)
	}
	if want := []string{"CAP_NET_RAW"}; !reflect.DeepEqual(p.Capabilities.Effective, want) || !reflect.DeepEqual(p.Capabilities.Ambient, want) {
		t.Errorf("non-root caps %+v: want only the added one, ambient", p.Capabilities)
	}
	if s.Linux.Sysctl != nil {
		t.Errorf("no network namespace, yet sysctls %v", s.Linux.Sysctl)
	}

	s, err = New(Options{Rootfs: root, Args: []string{"sh"}, Workdir: "/", Security: SecurityOpts{NoNewPrivileges: true},
		Process: ProcessOptions{Privileged: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Process.NoNewPrivileges || len(s.Linux.MaskedPaths) != 0 || len(s.Linux.ReadonlyPaths) != 0 || !has(s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN") {
		t.Errorf("privileged with no-new-privileges: %+v %+v", s.Process, s.Linux)
	}

	if _, err := New(Options{Rootfs: root, Args: []string{"sh"}, Workdir: "/", Process: ProcessOptions{User: "bob"}}); err == nil {
		t.Error("an unknown user was accepted")
	}
	if _, err := New(Options{Rootfs: root, Args: []string{"sh"}, Workdir: "/", Process: ProcessOptions{Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}}}); err == nil {
		t.Error("a net sysctl without a network namespace was accepted")
	}
}

func FuzzParseCaps(f *testing.F) {
	f.Add("net_raw,CAP_SYS_ADMIN")
	f.Add("ALL")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCaps("--cap-add", []string{s})
		if err == nil {
			if _, err := MergeCaps(DefaultCaps, c, nil); err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
		}
	})
}

func FuzzParseSysctls(f *testing.F) {
	f.Add("net.ipv4.ip_forward=1")
	f.Add("kernel.shmmax=1")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseSysctls([]string{s})
		if err != nil {
			return
		}
		for k := range m {
			if p := SysctlPath(k); strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") || strings.Contains(p, "//") {
				t.Errorf("key %q makes path %q", k, p)
			}
		}
	})
}

func FuzzParseUlimits(f *testing.F) {
	f.Add("nofile=100:200")
	f.Add("core=-1")
	f.Fuzz(func(t *testing.T, s string) {
		rl, err := ParseUlimits([]string{s})
		if err != nil {
			return
		}
		for _, r := range rl {
			if r.Soft > r.Hard {
				t.Errorf("%q: soft above hard: %+v", s, r)
			}
		}
	})
}

func FuzzParseUserNS(f *testing.F) {
	f.Add("keep-id")
	f.Fuzz(func(t *testing.T, s string) { _, _ = ParseUserNS(s) })
}
