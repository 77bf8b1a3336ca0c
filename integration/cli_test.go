package integration

import (
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
