package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/idmap"
)

const minimal = `{
  "ociVersion": "1.0.2",
  "root": {"path": "rootfs"},
  "process": {"args": ["/bin/true"], "cwd": "/"}
}`

func writeBundle(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigName), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadMakesRootAbsolute(t *testing.T) {
	dir := writeBundle(t, minimal)
	b, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "rootfs")
	if b.Rootfs != want || b.Spec.Root.Path != want || b.Dir != dir {
		t.Errorf("got dir %q rootfs %q root.path %q, want %q", b.Dir, b.Rootfs, b.Spec.Root.Path, want)
	}
}

func TestLoadAcceptsEvery1x(t *testing.T) {
	for _, v := range []string{"1", "1.0.0", "1.0.0-rc5", "1.1.0", "1.2.1", "1.3.0", "1.9.0-dev"} {
		dir := writeBundle(t, strings.Replace(minimal, "1.0.2", v, 1))
		if _, err := Load(dir, Options{}); err != nil {
			t.Errorf("ociVersion %s: %v", v, err)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"version 2", strings.Replace(minimal, "1.0.2", "2.0.0", 1), `ociVersion "2.0.0" is not supported`},
		{"version 0", strings.Replace(minimal, "1.0.2", "0.6.0", 1), `ociVersion "0.6.0" is not supported`},
		{"no version", strings.Replace(minimal, `"ociVersion": "1.0.2",`, "", 1), "ociVersion is missing"},
		{"syntax", "{\n  \"ociVersion\": \"1.0.2\",\n  \"root\": {\"path\": \"rootfs\"}}\n  x", "line 4:3: invalid character 'x'"},
		{"syntax mid-line", "{\n  \"ociVersion\" \"1.0.2\"}", "line 2:16:"},
		{"type", "{\n \"ociVersion\": 1}", "line 2:16: ociVersion must be string, not a JSON number"},
		{"truncated", `{"ociVersion": "1.0.2"`, "unexpected end of JSON input"},
		{"no root", `{"ociVersion": "1.0.2"}`, "root.path is missing"},
		{"missing root", strings.Replace(minimal, `"rootfs"`, `"nope"`, 1), "no such file or directory"},
		{"no args", strings.Replace(minimal, `["/bin/true"]`, `[]`, 1), "process.args is empty"},
		{"relative cwd", strings.Replace(minimal, `"cwd": "/"`, `"cwd": "tmp"`, 1), `process.cwd "tmp" is not an absolute path`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeBundle(t, tc.config), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if !strings.Contains(err.Error(), ConfigName) {
				t.Errorf("error does not name the file: %q", err)
			}
		})
	}
}

func TestLoadMissingBundle(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "none"), Options{})
	if err == nil || !strings.Contains(err.Error(), "no such file or directory: give the directory that holds config.json") {
		t.Fatalf("got %v", err)
	}
	_, err = Load(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "config.json: no such file or directory") {
		t.Fatalf("got %v", err)
	}
}

func TestIgnoredFieldsAreDebugLines(t *testing.T) {
	config := `{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
	  "process": {"args": ["sh"], "cwd": "/", "apparmorProfile": "docker-default", "selinuxLabel": "system_u:system_r:container_t:s0"},
	  "linux": {"mountLabel": "system_u:object_r:container_file_t:s0", "intelRdt": {"closID": "x"}},
	  "windows": {"layerFolders": ["C:\\x"]}, "solaris": {}, "vm": {"hypervisor": {"path": "/x"}, "kernel": {"path": "/k"}}}`
	var lines []string
	_, err := Load(writeBundle(t, config), Options{Debug: func(f string, a ...any) {
		lines = append(lines, f)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 7 {
		t.Errorf("got %d debug lines, want 7 (apparmor, selinux, mountLabel, intelRdt, windows, solaris, vm): %q", len(lines), lines)
	}
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"a", "abc-123", "x.y_z+1", strings.Repeat("a", MaxIDLen)} {
		if err := CheckID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	for id, want := range map[string]string{
		"":                              "empty",
		"a/b":                           "slash",
		"..":                            "not allowed",
		"a b":                           "character ' '",
		"a\x00":                         "character",
		strings.Repeat("a", MaxIDLen+1): "at most 255",
	} {
		err := CheckID(id)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", id, err, want)
		}
	}
}

func TestCheckMounts(t *testing.T) {
	ok := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		{Destination: "/data", Type: "none", Source: "/srv", Options: []string{"rbind", "rprivate", "ro"}},
		{Destination: "/data2", Source: "/srv", Options: []string{"bind"}},
	}
	for _, m := range ok {
		if err := checkMount(m); err != nil {
			t.Errorf("%+v: %v", m, err)
		}
	}
	for _, tc := range []struct {
		m    specs.Mount
		want string
	}{
		{specs.Mount{Destination: "/x", Type: "nfs", Source: "h:/x"}, `mount type "nfs" is not supported`},
		{specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"tmpcopyup"}}, `mount option "tmpcopyup" is not supported on a tmpfs mount`},
		{specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"idmap"}}, `mount option "idmap"`},
		{specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"hidepid=2"}}, `"hidepid=2" is not supported on a bind mount`},
		{specs.Mount{Destination: "x", Type: "tmpfs"}, "not an absolute path"},
		{specs.Mount{Destination: "/x", Type: "bind"}, "needs a source"},
		{specs.Mount{Destination: "/x"}, "no type given"},
	} {
		err := checkMount(tc.m)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.m, err, tc.want)
		}
	}
	// The index and destination are in the message.
	s := &specs.Spec{Mounts: append(ok[:1:1], specs.Mount{Destination: "/x", Type: "nfs"})}
	if err := Check(s, Options{}); err == nil || !strings.HasPrefix(err.Error(), "mounts[1] (/x): ") {
		t.Errorf("got %v", err)
	}
}

func TestNamespaceType(t *testing.T) {
	for file, want := range map[string]specs.LinuxNamespaceType{
		"net": specs.NetworkNamespace, "mnt": specs.MountNamespace, "pid": specs.PIDNamespace,
		"uts": specs.UTSNamespace, "ipc": specs.IPCNamespace, "user": specs.UserNamespace,
		"cgroup": specs.CgroupNamespace,
	} {
		got, err := NamespaceType("/proc/self/ns/" + file)
		if err != nil {
			t.Errorf("%s: %v", file, err)
		} else if got != want {
			t.Errorf("%s: got %s, want %s", file, got, want)
		}
	}
	if _, err := NamespaceType("/dev/null"); err == nil || !strings.Contains(err.Error(), "not a namespace file") {
		t.Errorf("/dev/null: got %v", err)
	}
	if _, err := NamespaceType("/nonexistent"); err == nil {
		t.Error("/nonexistent: no error")
	}
}

func TestCheckNamespaces(t *testing.T) {
	user := specs.LinuxNamespace{Type: specs.UserNamespace}
	maps := func(l *specs.Linux) *specs.Linux {
		l.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
		l.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
		return l
	}
	for _, tc := range []struct {
		name string
		l    *specs.Linux
		want string // "" = accepted
	}{
		{"no user namespace", &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "pid"}, {Type: "mount"}}}, ""},
		{"user namespace", maps(&specs.Linux{Namespaces: []specs.LinuxNamespace{user, {Type: "network"}}}), ""},
		{"join net", &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "network", Path: "/proc/self/ns/net"}}}, ""},
		{"join wrong type", &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "pid", Path: "/proc/self/ns/net"}}}, "is a network namespace, not a pid one"},
		{"not a namespace", &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "network", Path: "/dev/null"}}}, "path /dev/null: not a namespace file"},
		{"relative", &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "network", Path: "ns/net"}}}, "is not absolute"},
		{"unknown", &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "foo"}}}, `unknown namespace type "foo"`},
		{"twice", &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "pid"}, {Type: "pid"}}}, "linux.namespaces[1]: the pid namespace is listed twice"},
		{"time", &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "time"}}}, "time namespace"},
		{"maps without userns", maps(&specs.Linux{}), "without a new user namespace"},
		{"userns without maps", &specs.Linux{Namespaces: []specs.LinuxNamespace{user}}, "uidMappings or linux.gidMappings is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(&specs.Spec{Linux: tc.l}, Options{})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCheckMappingsRootless(t *testing.T) {
	o := Options{Rootless: true, UID: 1000, GID: 1000,
		SubUIDs: []idmap.Range{{Start: 100000, Count: 65536}},
		SubGIDs: []idmap.Range{{Start: 100000, Count: 65536}, {Start: 300000, Count: 10}},
	}
	spec := func(uid, gid []specs.LinuxIDMapping) *specs.Spec {
		return &specs.Spec{Linux: &specs.Linux{
			Namespaces:  []specs.LinuxNamespace{{Type: specs.UserNamespace}},
			UIDMappings: uid, GIDMappings: gid,
		}}
	}
	m := func(c, h, n uint32) specs.LinuxIDMapping {
		return specs.LinuxIDMapping{ContainerID: c, HostID: h, Size: n}
	}
	podman := []specs.LinuxIDMapping{m(0, 1000, 1), m(1, 100000, 65536)}
	if err := Check(spec(podman, podman), o); err != nil {
		t.Errorf("podman's rootless map: %v", err)
	}
	gids := append(podman[:2:2], m(65537, 300000, 10))
	if err := Check(spec(podman, gids), o); err != nil {
		t.Errorf("two gid ranges: %v", err)
	}
	for _, tc := range []struct {
		name     string
		uid, gid []specs.LinuxIDMapping
		want     string
	}{
		{"beyond the range", []specs.LinuxIDMapping{m(0, 1000, 1), m(1, 100000, 70000)}, podman,
			"linux.uidMappings[1]: host uids 165536-169999 are neither your own uid 1000 nor among your subordinate uids (/etc/subuid gives you 100000-165535)"},
		{"someone else's id", []specs.LinuxIDMapping{m(0, 0, 1)}, podman, "linux.uidMappings[0]: host uids 0 are neither"},
		{"gid gap", podman, []specs.LinuxIDMapping{m(0, 1000, 1), m(1, 165530, 20)}, "linux.gidMappings[1]: host gids 165536-165549"},
		{"overlap inside", []specs.LinuxIDMapping{m(0, 1000, 1), m(0, 100000, 5)}, podman, "container uids 0-4 overlap linux.uidMappings[0]"},
		{"overlap outside", []specs.LinuxIDMapping{m(0, 100000, 10), m(10, 100005, 5)}, podman, "host uids 100005-100009 overlap"},
		{"size 0", []specs.LinuxIDMapping{m(0, 1000, 0)}, podman, "size is 0"},
		{"overflow", []specs.LinuxIDMapping{m(0, 4294967295, 2)}, podman, "ids run past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(spec(tc.uid, tc.gid), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Root may map any host ids.
	if err := Check(spec([]specs.LinuxIDMapping{m(0, 0, 65536)}, podman), Options{}); err != nil {
		t.Errorf("root: %v", err)
	}
}

func TestUncovered(t *testing.T) {
	rs := []idmap.Range{{Start: 10, Count: 10}, {Start: 20, Count: 5}, {Start: 40, Count: 10}}
	for _, tc := range []struct {
		s    span
		gap  span
		miss bool
	}{
		{span{10, 25}, span{}, false},
		{span{5, 6}, span{5, 6}, false},
		{span{5, 6}, span{5, 6}, true},
		{span{12, 30}, span{25, 30}, true},
		{span{24, 45}, span{25, 40}, true},
		{span{45, 60}, span{50, 60}, true},
	}[1:] {
		gap, miss := uncovered(tc.s, 5, rs)
		if tc.s.lo == 5 {
			if miss {
				t.Errorf("own id reported missing")
			}
			continue
		}
		if miss != tc.miss || gap != tc.gap {
			t.Errorf("%v: got %v %v, want %v %v", tc.s, gap, miss, tc.gap, tc.miss)
		}
	}
}

func TestHostOptions(t *testing.T) {
	o, err := HostOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.Rootless != (os.Geteuid() != 0) || o.UID != uint32(os.Geteuid()) {
		t.Errorf("%+v", o)
	}
}

func TestCheckProcessRlimitsAndOOMScore(t *testing.T) {
	adj := 1001
	for _, tc := range []struct {
		p    specs.Process
		want string
	}{
		{specs.Process{Args: []string{"sh"}, Cwd: "/", Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_TEST", Soft: 1, Hard: 1}}}, `unknown rlimit "RLIMIT_TEST"`},
		{specs.Process{Args: []string{"sh"}, Cwd: "/", Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1, Hard: 1}, {Type: "RLIMIT_NOFILE", Soft: 1, Hard: 1}}}, "given twice"},
		{specs.Process{Args: []string{"sh"}, Cwd: "/", Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2, Hard: 1}}}, "above its hard limit"},
		{specs.Process{Args: []string{"sh"}, Cwd: "/", OOMScoreAdj: &adj}, "out of range"},
		{specs.Process{Args: []string{"sh"}, Cwd: "/", Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1024}}}, ""},
	} {
		p := tc.p
		err := Check(&specs.Spec{Process: &p}, Options{})
		if tc.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.p, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.p, err, tc.want)
		}
	}
}
