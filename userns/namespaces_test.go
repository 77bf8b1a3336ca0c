package userns

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestPlanNamespaces(t *testing.T) {
	ns := func(kv ...string) []specs.LinuxNamespace {
		var out []specs.LinuxNamespace
		for i := 0; i < len(kv); i += 2 {
			out = append(out, specs.LinuxNamespace{Type: specs.LinuxNamespaceType(kv[i]), Path: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		ns        []specs.LinuxNamespace
		flags     uintptr
		userNS    bool
		joins     int
		mountPath string
		err       string
	}{
		{name: "runtime-tools default", ns: ns("pid", "", "network", "", "ipc", "", "uts", "", "mount", ""),
			flags: unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWNS},
		{name: "rootless with cgroup", ns: ns("user", "", "mount", "", "cgroup", ""),
			flags: unix.CLONE_NEWUSER | unix.CLONE_NEWNS, userNS: true},
		{name: "joined net and pid", ns: ns("mount", "", "network", "/proc/1/ns/net", "pid", "/proc/1/ns/pid"),
			flags: unix.CLONE_NEWNS, joins: 2},
		{name: "joined mount", ns: ns("mount", "/proc/1/ns/mnt", "uts", ""),
			flags: unix.CLONE_NEWUTS, mountPath: "/proc/1/ns/mnt"},
		{name: "joined user", ns: ns("user", "/proc/1/ns/user", "mount", ""), err: "joining the user namespace"},
		{name: "joined mount with new user", ns: ns("user", "", "mount", "/proc/1/ns/mnt"), err: "with a new user namespace"},
		{name: "no namespaces", ns: ns()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planNamespaces(tc.ns)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.flags != tc.flags || p.userNS != tc.userNS || len(p.joins) != tc.joins || p.mountPath != tc.mountPath {
				t.Fatalf("plan = %+v, want flags %#x userNS %v joins %d mount %q", p, tc.flags, tc.userNS, tc.joins, tc.mountPath)
			}
		})
	}
}
