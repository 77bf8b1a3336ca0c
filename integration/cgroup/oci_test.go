package cgroup

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOCIContainerScopeGoneAfterDelete: a container an engine made with
// create and start (config.json with a memory limit) runs in its own scope
// with the limit, holding its PID 1; after delete --force no scope, unit or
// record of it is left.
func TestOCIContainerScopeGoneAfterDelete(t *testing.T) {
	v := needVM(t)
	if !v.user {
		t.Skip("SKIP: the config maps the caller's own uid: run as the test user")
	}
	dir := t.TempDir()
	limit := int64(64 << 20)
	cfg := map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"args": []string{"sleep", "1000"}, "cwd": "/",
			"env":  []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"},
			"user": map[string]any{"uid": 0, "gid": 0},
		},
		"root": map[string]any{"path": v.rootfs},
		"mounts": []map[string]any{
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "mode=755"}},
		},
		"linux": map[string]any{
			"namespaces":  []map[string]string{{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "network"}, {"type": "user"}},
			"uidMappings": []map[string]any{{"containerID": 0, "hostID": os.Getuid(), "size": 1}},
			"gidMappings": []map[string]any{{"containerID": 0, "hostID": os.Getgid(), "size": 1}},
			"resources":   map[string]any{"memory": map[string]any{"limit": limit}},
		},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	id := "oci-scope"
	// create's stdio become the container's: /dev/null, so that nothing
	// here waits for the container to close a pipe.
	errFile := filepath.Join(dir, "create.err")
	ef, err := os.Create(errFile)
	if err != nil {
		t.Fatal(err)
	}
	create := exec.Command(v.bin, "create", "--bundle", dir, id)
	create.Stderr = ef
	err = create.Run()
	ef.Close()
	if err != nil {
		out, _ := os.ReadFile(errFile)
		t.Fatalf("create: %v: %s", err, out)
	}
	t.Cleanup(func() { v.run(t, "delete", "--force", id) })
	if r := v.run(t, "start", id); r.status != 0 {
		t.Fatalf("start: %+v", r)
	}
	var st struct {
		Status string
		Pid    int
	}
	r := v.run(t, "state", id)
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Status != "running" {
		t.Fatalf("state: %v: %+v", err, r)
	}
	scopes := v.liveScopes()
	if len(scopes) != 1 {
		t.Fatalf("scopes %v, want one for the container", scopes)
	}
	if got := readTrim(filepath.Join(scopes[0], "memory.max")); got != "67108864" {
		t.Errorf("memory.max = %q, want 67108864", got)
	}
	if procs := strings.Fields(readTrim(filepath.Join(scopes[0], "cgroup.procs"))); len(procs) != 1 || procs[0] != itoa(st.Pid) {
		t.Errorf("scope holds %v, want only the container's PID 1 %d", procs, st.Pid)
	}
	if r := v.run(t, "delete", "--force", id); r.status != 0 {
		t.Fatalf("delete --force: %+v", r)
	}
	v.checkNoScopes(t)
	if r := v.run(t, "state", id); r.status == 0 {
		t.Errorf("state after delete: %+v, want an error", r)
	}
}
