package cgroup

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExecJoinsTheScope: a process exec'd into a container with --memory is
// cloned into the container's scope: its cgroup is the root of the
// container's cgroup namespace ("0::/", not a path outside it) and it reads
// the container's memory.max.
func TestExecJoinsTheScope(t *testing.T) {
	v := needVM(t)
	_, scope := startBackground(t, v, "run", "-m", "64M", v.rootfs, "sleep", "1000")
	// The scope is urun-ID.scope.
	id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(scope), "urun-"), ".scope")
	// The scope exists from the init stage on; the record says running
	// once the command runs, and exec waits for that, as docker's does.
	if !waitFor(60*time.Second, func() bool { return strings.Contains(v.run(t, "inspect", id).stdout, `"status": "running"`) }) {
		t.Fatalf("container %s never listed as running", id)
	}
	r := v.run(t, "exec", id, "sh", "-c", "cat /proc/self/cgroup /sys/fs/cgroup/memory.max")
	if r.status != 0 {
		t.Fatalf("exec: status %d, %q", r.status, r.stderr)
	}
	if got := lines(r.stdout); len(got) != 2 || got[0] != "0::/" || got[1] != "67108864" {
		t.Errorf("exec'd process sees %q, want 0::/ and 67108864 (the container's scope)", got)
	}
}
