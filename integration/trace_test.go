package integration

import (
	"strings"
	"testing"
)

// A user who wants to know where start-up time goes sets URUN_TRACE=1 and
// gets urun's phases and the init stage's, in order, on stderr; the
// container's own output is untouched.
func TestTraceShowsTheStartupTimeline(t *testing.T) {
	e := user(t)
	cmd := e.Command("run", "--network", "none", e.Rootfs, "echo", "hello")
	cmd.Env = append(cmd.Env, "URUN_TRACE=1")
	out, errb := new(strings.Builder), new(strings.Builder)
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("URUN_TRACE=1 urun run: %v, stderr %q", err, errb.String())
	}
	if out.String() != "hello\n" {
		t.Fatalf("stdout %q, want the command's hello only", out.String())
	}
	var order []string
	for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if !strings.HasPrefix(l, "urun-trace:") {
			t.Fatalf("stderr line %q is not a trace line", l)
		}
		order = append(order, l)
	}
	// Phases of both processes, in the order they must happen.
	want := []string{"urun  flags parsed", "urun  init stage cloned", "init  stage main", "init  config received",
		"init  mounts done, pivot_root", "init  user, caps, seccomp: exec", "urun  container's PID 1 reaped", "urun  exit"}
	i := 0
	for _, l := range order {
		if i < len(want) && strings.Contains(l, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("the timeline lacks %q (or has it out of order):\n%s", want[i], errb.String())
	}
	// Off, nothing is printed.
	r := e.Run(t, "", "run", "--network", "none", e.Rootfs, "true")
	if r.Status != 0 || r.Stderr != "" {
		t.Fatalf("without URUN_TRACE: status %d, stderr %q; want 0 and nothing", r.Status, r.Stderr)
	}
	e.CheckClean(t)
}
