package hostcheck

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testHost(t *testing.T) Host {
	dir := t.TempDir()
	return Host{
		UID: 1001, GID: 1001, User: "alice",
		SubUIDFile: filepath.Join(dir, "subuid"), SubGIDFile: filepath.Join(dir, "subgid"),
		CgroupRoot: dir, TunPath: filepath.Join(dir, "no-tun"),
		LookPath: func(string) (string, error) { return "", errors.New("not found") },
	}
}

func find(t *testing.T, fs []Finding, name string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no finding %q in %+v", name, fs)
	return Finding{}
}

func TestSubIDs(t *testing.T) {
	h := testHost(t)
	os.WriteFile(h.SubUIDFile, []byte("bob:100000:65536\nalice:200000:65536\n"), 0o644)
	os.WriteFile(h.SubGIDFile, []byte("1001:300000:1000\n"), 0o644)
	fs := h.subids()
	uid, gid := find(t, fs, "subuid"), find(t, fs, "subgid")
	if uid.Status != OK || !strings.Contains(uid.Detail, "200000-265535 (65536 ids)") {
		t.Errorf("subuid = %+v", uid)
	}
	if gid.Status != Warn || !strings.Contains(gid.Detail, "300000-300999") || gid.Fix == "" {
		t.Errorf("a small subgid range should warn with a fix: %+v", gid)
	}
	os.WriteFile(h.SubUIDFile, []byte("bob:100000:65536\n"), 0o644)
	uid = find(t, h.subids(), "subuid")
	if uid.Status != Warn || !strings.Contains(uid.Fix, "usermod --add-subuids 100000-165535 alice") {
		t.Errorf("missing range = %+v", uid)
	}
	os.WriteFile(h.SubUIDFile, []byte("alice:x:y\n"), 0o644)
	if uid = find(t, h.subids(), "subuid"); uid.Status != Fail {
		t.Errorf("a broken file should fail: %+v", uid)
	}
}

func TestHelpers(t *testing.T) {
	h := testHost(t)
	if f := find(t, h.helpers(), "newuidmap"); f.Status != Warn || !strings.Contains(f.Fix, "uidmap") {
		t.Errorf("missing newuidmap = %+v", f)
	}
	plain := filepath.Join(t.TempDir(), "newuidmap")
	os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o755)
	h.LookPath = func(string) (string, error) { return plain, nil }
	if f := find(t, h.helpers(), "newgidmap"); f.Status != Warn || !strings.Contains(f.Fix, "chmod u+s") {
		t.Errorf("a helper that is not setuid = %+v", f)
	}
}

func TestCgroupsNotV2(t *testing.T) {
	h := testHost(t) // a temp dir is not a cgroup2 mount
	fs := h.cgroups()
	if len(fs) != 1 || fs[0].Status != Warn || !strings.Contains(fs[0].Fix, "unified_cgroup_hierarchy") {
		t.Errorf("cgroups on a non-cgroup2 dir = %+v", fs)
	}
}

func TestTun(t *testing.T) {
	h := testHost(t)
	if f := h.tun(); f.Status != Warn || !strings.Contains(f.Fix, "modprobe tun") {
		t.Errorf("missing tun = %+v", f)
	}
	h.TunPath = "/dev/null"
	if f := h.tun(); f.Status != OK {
		t.Errorf("an openable device = %+v", f)
	}
}

func TestWrite(t *testing.T) {
	h := testHost(t)
	var b strings.Builder
	err := Write(&b, h, []Finding{
		{Name: "kernel", Status: OK, Detail: "6.1"},
		{Name: "subuid", Status: Warn, Detail: "none", Fix: "do this"},
		{Name: "user namespaces", Status: Fail, Detail: "denied", Fix: "allow them"},
	})
	if !errors.Is(err, ErrProblems) {
		t.Errorf("Write with a failure = %v, want ErrProblems", err)
	}
	out := b.String()
	for _, want := range []string{"alice (uid 1001)", "ok    kernel", "warn  subuid", "-> do this", "FAIL  user namespaces", "-> allow them"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := Write(&b, h, []Finding{{Name: "kernel", Status: OK}}); err != nil {
		t.Errorf("Write with no failure = %v", err)
	}
}

// TestRunHere runs every probe on this machine: each finding must be complete.
func TestRunHere(t *testing.T) {
	h := Current()
	for _, f := range h.Run() {
		if f.Name == "" || f.Detail == "" {
			t.Errorf("incomplete finding %+v", f)
		}
		if f.Status != OK && f.Fix == "" && f.Name != "kernel" {
			t.Errorf("finding %q is %v without a fix", f.Name, f.Status)
		}
		if strings.Contains(f.Detail+f.Fix, "\n") {
			t.Errorf("finding %q spans lines", f.Name)
		}
	}
}
