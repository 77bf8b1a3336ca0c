package integration

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/urun-dev/urun/internal/testutil"
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
	// Each process's phases in the order they must happen. The two run
	// side by side (the stage may start before urun has parsed its flags,
	// see TestEarlyStartIsTakenOrUndone), so across them only cause and
	// effect is checked: the config is sent before the stage has it, and
	// the command is exec'd before its exit is reaped.
	for _, want := range [][]string{
		{"urun  flags parsed", "urun  init stage cloned", "urun  config sent", "urun  container's PID 1 reaped", "urun  exit"},
		{"init  stage main", "init  config received", "init  mounts done, pivot_root", "init  user, caps, seccomp: exec"},
		{"urun  config sent", "init  config received"},
		{"init  user, caps, seccomp: exec", "urun  container's PID 1 reaped"},
	} {
		if missing := inOrder(order, want); missing != "" {
			t.Fatalf("the timeline lacks %q (or has it out of order):\n%s", missing, errb.String())
		}
	}
	// The CPU time of each process, and of what urun reaped: the stage (then
	// the command) among it, so at least the stage's own before its exec.
	cpu := map[string]float64{}
	for _, key := range []string{"urun  cpu ms", "init  cpu ms", "urun  reaped processes' cpu ms"} {
		v, ok := traceValue(order, key)
		if !ok || v <= 0 {
			t.Fatalf("the timeline has no positive %q:\n%s", key, errb.String())
		}
		cpu[key] = v
	}
	if cpu["urun  reaped processes' cpu ms"] < cpu["init  cpu ms"] {
		t.Fatalf("urun's reaped processes used %v ms of CPU, less than the init stage alone (%v ms):\n%s",
			cpu["urun  reaped processes' cpu ms"], cpu["init  cpu ms"], errb.String())
	}
	// Off, nothing is printed.
	r := e.Run(t, "", "run", "--network", "none", e.Rootfs, "true")
	if r.Status != 0 || r.Stderr != "" {
		t.Fatalf("without URUN_TRACE: status %d, stderr %q; want 0 and nothing", r.Status, r.Stderr)
	}
	e.CheckClean(t)
}

// traceValue returns the number of the trace line "WHO  what = N" whose
// "WHO  what" is key.
func traceValue(lines []string, key string) (float64, bool) {
	for _, l := range lines {
		if _, v, ok := strings.Cut(l, key+" = "); ok {
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return x, err == nil
		}
	}
	return 0, false
}

// inOrder returns the first of want that lines do not have in that order,
// or "" when they have all of them.
func inOrder(lines, want []string) string {
	i := 0
	for _, l := range lines {
		if i < len(want) && strings.Contains(l, want[i]) {
			i++
		}
	}
	if i < len(want) {
		return want[i]
	}
	return ""
}

// A plain foreground run starts its init stage while urun still parses the
// flags (the early start); a run whose stage must differ (here keep-id's
// maps) gets its own stage instead, and a run that fails after an early
// start leaves nothing of it behind.
func TestEarlyStartIsTakenOrUndone(t *testing.T) {
	e := user(t)
	trace := func(args ...string) (testutil.Result, string) {
		t.Helper()
		cmd := e.Command(args...)
		cmd.Env = append(cmd.Env, "URUN_TRACE=1")
		out, errb := new(strings.Builder), new(strings.Builder)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), out, errb
		status := 0
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("urun %v: %v", args, err)
			}
			status = ee.ExitCode()
		}
		return testutil.Result{Status: status, Stdout: out.String()}, errb.String()
	}
	r, tr := trace("run", "--network", "none", e.Rootfs, "id", "-u")
	if r.Status != 0 || r.Stdout != "0\n" {
		t.Fatalf("plain run: status %d, stdout %q; want 0 and uid 0\n%s", r.Status, r.Stdout, tr)
	}
	if !strings.Contains(tr, "early start: id maps written") || strings.Contains(tr, "early start: not this run's") {
		t.Fatalf("a plain run did not take its early-started stage:\n%s", tr)
	}
	r, tr = trace("run", "--network", "none", "--userns", "keep-id", e.Rootfs, "id", "-u")
	if want := strconv.Itoa(e.UID) + "\n"; r.Status != 0 || r.Stdout != want {
		t.Fatalf("keep-id run: status %d, stdout %q; want 0 and %q\n%s", r.Status, r.Stdout, want, tr)
	}
	if !strings.Contains(tr, "early start: not this run's, aborted") {
		t.Fatalf("a keep-id run took the default stage (its maps differ):\n%s", tr)
	}
	r, tr = trace("run", "--network", "none", "--memory", "lots", e.Rootfs, "true")
	if r.Status != 125 {
		t.Fatalf("run with a bad --memory: status %d, want 125\n%s", r.Status, tr)
	}
	e.CheckClean(t)
}
