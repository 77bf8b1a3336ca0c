package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// editFile appends to a system file for one test and restores it after.
func editFile(t *testing.T, path, add string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skipf("SKIP: needs root to edit %s", path)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(path, old, 0o644) })
	if err := os.WriteFile(path, append(old, add...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMalformedSubuid(t *testing.T) {
	e := user(t)
	editFile(t, "/etc/subuid", "broken line without colons\n")
	r := e.Run(t, "", e.Rootfs, "true")
	if r.Status != 125 {
		t.Fatalf("status %d, want 125 (stderr %q)", r.Status, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "/etc/subuid:") || strings.Count(r.Stderr, "\n") != 1 {
		t.Fatalf("want one line naming /etc/subuid:LINE, got %q", r.Stderr)
	}
}

func TestNewuidmapRefuses(t *testing.T) {
	e := user(t)
	// A newuidmap that is not setuid root: the real helper, which the kernel
	// then refuses to let write a map with subordinate ids.
	dir, err := os.MkdirTemp("", "urun-path-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	for _, h := range []string{"newuidmap", "newgidmap"} {
		b, err := os.ReadFile("/usr/bin/" + h)
		if err != nil {
			t.Skipf("SKIP: %s missing (apt-get install uidmap)", h)
		}
		os.WriteFile(filepath.Join(dir, h), b, 0o755)
	}
	cmd := e.Command(e.Rootfs, "true")
	for i, v := range cmd.Env {
		if strings.HasPrefix(v, "PATH=") {
			cmd.Env[i] = "PATH=" + dir + ":" + strings.TrimPrefix(v, "PATH=")
		}
	}
	out, err := cmd.CombinedOutput()
	if status(err) != 125 {
		t.Fatalf("status %d, want 125: %s", status(err), out)
	}
	msg := string(out)
	if !strings.Contains(msg, "refused the") || !strings.Contains(msg, "(ranges from /etc/sub") || strings.Count(msg, "\n") != 1 {
		t.Fatalf("want one line saying which map was refused and why, got %q", msg)
	}
}

func TestRootCanRun(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root")
	}
	e := user(t)
	cmd := e.Command(e.Rootfs, "sh", "-c", "id -u; cat /proc/self/uid_map")
	cmd.SysProcAttr = nil // as root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 4 || f[0] != "0" || f[1] != "0" || f[2] != "0" {
		t.Fatalf("root: want uid 0 mapped to 0, got %q", out)
	}
}

// TestRangesWithoutPath: a user whose PATH is unset or empty (env -i, cron)
// still gets the subordinate ranges: newuidmap is found in /usr/bin.
func TestRangesWithoutPath(t *testing.T) {
	e := user(t)
	if _, err := os.Stat("/usr/bin/newuidmap"); err != nil {
		t.Skip("SKIP: /usr/bin/newuidmap missing (apt-get install uidmap)")
	}
	for name, env := range map[string][]string{"unset": {}, "empty": {"PATH="}} {
		cmd := e.Command("run", "--network", "none", e.Rootfs, "/bin/cat", "/proc/self/uid_map", "/proc/self/gid_map")
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("PATH %s: %v: %s", name, err, stderr.String())
		}
		if lines := strings.Count(string(out), "\n"); lines < 4 || stderr.Len() != 0 {
			t.Errorf("PATH %s: want the uid and gid maps with the subordinate ranges and no notice, got maps %q, stderr %q", name, out, stderr.String())
		}
	}
}
