package cgroup

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDetachedScope: a detached container with --memory has its scope with
// the limit, holding only the container's PID 1 (the monitor stays out of
// it), the record names it, and after rm -f nothing of it is left.
func TestDetachedScope(t *testing.T) {
	v := needVM(t)
	r := v.run(t, "run", "-d", "-m", "64M", v.rootfs, "sleep", "1000")
	id := strings.TrimSpace(r.stdout)
	if r.status != 0 || id == "" {
		t.Fatalf("run -d: %+v", r)
	}
	t.Cleanup(func() { v.run(t, "rm", "-f", id) })
	out := v.run(t, "inspect", id)
	var recs []struct {
		Pid        int
		MonitorPid int
		CgroupPath string
	}
	if err := json.Unmarshal([]byte(out.stdout), &recs); err != nil || len(recs) != 1 {
		t.Fatalf("inspect: %v: %s", err, out.stdout)
	}
	rec := recs[0]
	scopes := v.liveScopes()
	if len(scopes) != 1 || scopes[0] != rec.CgroupPath {
		t.Fatalf("scopes %v, record says %q", scopes, rec.CgroupPath)
	}
	if got := readTrim(filepath.Join(rec.CgroupPath, "memory.max")); got != "67108864" {
		t.Errorf("memory.max = %q, want 67108864", got)
	}
	procs := strings.Fields(readTrim(filepath.Join(rec.CgroupPath, "cgroup.procs")))
	if len(procs) != 1 || procs[0] != itoa(rec.Pid) {
		t.Errorf("scope holds %v, want only the container's PID 1 %d", procs, rec.Pid)
	}
	if r := v.run(t, "rm", "-f", id); r.status != 0 {
		t.Fatalf("rm -f: %+v", r)
	}
	v.checkNoScopes(t)
	// The monitor exits just after it has answered rm (it closes its
	// socket, then ends): give it the moment.
	gone := waitFor(10*time.Second, func() bool {
		b, err := os.ReadFile("/proc/" + itoa(rec.MonitorPid) + "/stat")
		return err != nil || strings.Contains(string(b), ") Z")
	})
	if !gone {
		t.Errorf("the monitor %d still runs after rm -f", rec.MonitorPid)
	}
	if r := v.run(t, "ps", "-a", "-q"); strings.TrimSpace(r.stdout) != "" {
		t.Errorf("ps -a after rm -f: %q", r.stdout)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
