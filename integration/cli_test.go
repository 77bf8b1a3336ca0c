package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The teaching project's command line, single-dash long flags and -cmd as a
// shell command line, works as typed.
func TestTeachingProjectCommandLine(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, "-rootfs", e.Rootfs, "-hostname", "box", "-cmd", "echo hello; hostname")
	if out != "hello\nbox\n" {
		t.Fatalf("got %q, want hello and box", out)
	}
	// -mem is --memory: on a host without cgroup v2 it is refused as
	// --memory is, which proves the limit was not dropped.
	r := e.Run(t, "", "-rootfs", e.Rootfs, "-mem", "100M", "-cpu", "0.5", "-cmd", "echo hello")
	if r.Status == 0 {
		if r.Stdout != "hello\n" {
			t.Fatalf("with limits: got %q", r.Stdout)
		}
		return
	}
	if r.Status != 125 || !strings.Contains(r.Stderr, "memory") {
		t.Fatalf("with limits: status %d, stderr %q: want 0, or 125 naming the memory limit", r.Status, r.Stderr)
	}
	r = e.Run(t, "", "-rootfs", e.Rootfs, "-bogus", "1")
	if r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, `"-bogus"`) {
		t.Fatalf("unknown single-dash flag: status %d, stderr %q: want one line naming it, 125", r.Status, r.Stderr)
	}
}

// -v is --volume as in podman and docker; --verbose is spelt out.
func TestVerboseIsSpeltOut(t *testing.T) {
	e := user(t)
	r := e.Run(t, "", "run", "--verbose", "--network", "none", e.Rootfs, "true")
	if r.Status != 0 || !strings.Contains(r.Stderr, "uid map") {
		t.Fatalf("--verbose: status %d, stderr %q: want 0 and the uid map explained", r.Status, r.Stderr)
	}
}

// The global --root (runc's, for engines) puts the container store where it
// says: a container made there is listed there only.
func TestGlobalRootIsTheStore(t *testing.T) {
	e := user(t)
	root := filepath.Join(e.TempDir(t), "store")
	r := e.Run(t, "", "--root", root, "run", "-d", "--network", "none", e.Rootfs, "sleep", "1000")
	id := strings.TrimSpace(r.Stdout)
	if r.Status != 0 || !idRe.MatchString(id) {
		t.Fatalf("--root %s run -d: status %d, stdout %q, stderr %q", root, r.Status, r.Stdout, r.Stderr)
	}
	defer e.Run(t, "", "--root", root, "rm", "-f", id)
	if q := e.MustRun(t, "--root", root, "ps", "-q"); strings.TrimSpace(q) != id {
		t.Errorf("--root ps -q = %q, want %s", q, id)
	}
	if q := e.MustRun(t, "ps", "-q"); strings.Contains(q, id) {
		t.Errorf("the default store lists %s, made under --root: %q", id, q)
	}
	if _, err := os.Stat(filepath.Join(root, id, "state.json")); err != nil {
		t.Errorf("no record under --root: %v", err)
	}
	if r := e.Run(t, "", "--root", root, "rm", "-f", id); r.Status != 0 {
		t.Errorf("--root rm -f: status %d, %s", r.Status, r.Stderr)
	}
}
