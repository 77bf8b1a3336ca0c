package integration

// Background containers: urun run -d and the verbs that come back to a
// container later (ps, inspect, logs, attach, stop, kill, wait, rm), as the
// unprivileged test user, through a real pty where a terminal is involved.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/urun-dev/urun/internal/testutil"
)

var idRe = regexp.MustCompile(`^[0-9a-f]{12}$`)

// detached starts `urun run -d ARGS...` and returns the id it prints; the
// container is removed (rm -f) at the end of the test, before CheckClean.
func detached(t *testing.T, e *testutil.Env, args ...string) string {
	t.Helper()
	r := e.Run(t, "", append([]string{"run", "-d", "--network", "none"}, args...)...)
	id := strings.TrimSpace(r.Stdout)
	if r.Status != 0 || !idRe.MatchString(id) {
		t.Fatalf("run -d %v: status %d, stdout %q, stderr %q; want 0 and an id", args, r.Status, r.Stdout, r.Stderr)
	}
	t.Cleanup(func() { e.Run(t, "", "rm", "-f", id) })
	return id
}

// record is what inspect says of one container.
type record struct {
	ID, Name, Status string
	Pid, MonitorPid  int
	ExitCode         *int
	Error            string
	Detached, TTY    bool
	CgroupPath       string
	Dir              string
}

func inspect(t *testing.T, e *testutil.Env, ref string) record {
	t.Helper()
	out := e.MustRun(t, "inspect", ref)
	var recs []record
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 1 {
		t.Fatalf("inspect %s: %v: %s", ref, err, out)
	}
	return recs[0]
}

// oneLine125 checks a user error: status 125 and one line on stderr
// containing want.
func oneLine125(t *testing.T, r testutil.Result, want string) {
	t.Helper()
	if r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("status %d, stderr %q: want 125 and one line containing %q", r.Status, r.Stderr, want)
	}
}

func TestRunDetachedThenPs(t *testing.T) {
	e := user(t)
	id := detached(t, e, "--name", "web", e.Rootfs, "sleep", "1000")
	out := e.MustRun(t, "ps")
	if !regexp.MustCompile(id + `\s+web\s+"sleep 1000".*Up`).MatchString(out) {
		t.Errorf("ps does not show %s (web) up:\n%s", id, out)
	}
	if q := e.MustRun(t, "ps", "-q"); strings.TrimSpace(q) != id {
		t.Errorf("ps -q = %q, want %s", q, id)
	}
	rec := inspect(t, e, "web")
	if rec.ID != id || rec.Status != "running" || rec.Pid <= 0 || !rec.Detached {
		t.Errorf("inspect web: %+v", rec)
	}
	// The pid is the container's PID 1 on the host, as exec needs it.
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", rec.Pid)); !strings.HasPrefix(string(cmdline), "sleep\x00") {
		t.Errorf("pid %d is %q, want sleep", rec.Pid, cmdline)
	}
	var js []record
	if err := json.Unmarshal([]byte(e.MustRun(t, "ps", "--format", "json")), &js); err != nil || len(js) != 1 || js[0].ID != id {
		t.Errorf("ps --format json: %v %+v", err, js)
	}
	// By an id prefix too.
	if rec := inspect(t, e, id[:5]); rec.ID != id {
		t.Errorf("inspect by prefix: %+v", rec)
	}
}

func TestLogsFollowAndAfterExit(t *testing.T) {
	e := user(t)
	w := e.TempDir(t)
	id := detached(t, e, "-v", w+":/w", e.Rootfs, "sh", "-c",
		`echo one; echo err-one >&2; while [ ! -e /w/go ]; do sleep 0.1; done; echo two; echo err-two >&2`)
	cmd := e.Command("logs", "-f", id)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(stdout)
	// "one" arrives while the container still waits for /w/go: the log
	// streams, it is not read at the end.
	if line, err := rd.ReadString('\n'); err != nil || line != "one\n" {
		t.Fatalf("logs -f: first line %q, %v", line, err)
	}
	e.Sh(t, "touch "+w+"/go")
	if line, err := rd.ReadString('\n'); err != nil || line != "two\n" {
		t.Fatalf("logs -f: second line %q, %v", line, err)
	}
	// logs -f ends when the container does.
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logs -f: %v (%s)", err, stderr.String())
	}
	if stderr.String() != "err-one\nerr-two\n" {
		t.Errorf("logs -f stderr %q", stderr.String())
	}
	if code := strings.TrimSpace(e.MustRun(t, "wait", id)); code != "0" {
		t.Errorf("wait: %q", code)
	}
	r := e.Run(t, "", "logs", id)
	if r.Status != 0 || r.Stdout != "one\ntwo\n" || r.Stderr != "err-one\nerr-two\n" {
		t.Errorf("logs after exit: %+v", r)
	}
	if r := e.Run(t, "", "logs", "--tail", "2", id); r.Stdout != "two\n" || r.Stderr != "err-two\n" {
		t.Errorf("logs --tail 2 (the last two lines of both streams): %+v", r)
	}
	r = e.Run(t, "", "logs", "-t", id)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+ one\n`).MatchString(r.Stdout) {
		t.Errorf("logs -t: %q", r.Stdout)
	}
}

func TestAttachThenDetachKeys(t *testing.T) {
	e := user(t)
	id := detached(t, e, "-t", "-e", "PS1="+ttyPrompt, e.Rootfs, "sh")
	tm := startOnTerminal(t, e, "attach", id)
	tm.c.Send("\r")
	tm.c.Expect(ttyPrompt)
	// The typed line says hello-$((6*7)); only the shell's answer says 42.
	tm.c.Send("echo hello-$((6*7))\r")
	tm.c.Expect("hello-42")
	tm.c.Send("\x10\x11")
	if err := tm.cmd.Wait(); err != nil {
		t.Fatalf("attach after Ctrl-P Ctrl-Q: %v", err)
	}
	if rec := inspect(t, e, id); rec.Status != "running" {
		t.Errorf("after detaching the container is %s, want running", rec.Status)
	}
	// A second attach with other keys; the shell's exit ends it with
	// the shell's status.
	tm = startOnTerminal(t, e, "attach", "--detach-keys", "ctrl-x", id)
	tm.c.Send("\r")
	tm.c.Expect(ttyPrompt)
	tm.c.Send("exit 3\r")
	err := tm.cmd.Wait()
	if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 3 {
		t.Errorf("attach of a shell that exits 3: %v", err)
	}
}

func TestStopShellIgnoringTERM(t *testing.T) {
	e := user(t)
	id := detached(t, e, e.Rootfs, "sh", "-c", `trap "" TERM; echo ready; while :; do sleep 1; done`)
	// Stop once the trap is set: a TERM before it would end the shell.
	for i := 0; !strings.Contains(e.MustRun(t, "logs", id), "ready"); i++ {
		if i == 600 {
			t.Fatal("the shell did not print ready within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.MustRun(t, "stop", "-t", "1", id)
	out := e.MustRun(t, "ps", "-a")
	if !regexp.MustCompile(id + `.*Exited \(137\)`).MatchString(out) {
		t.Errorf("ps -a after stop:\n%s", out)
	}
	if r := e.Run(t, "", "wait", id); r.Status != 137 || strings.TrimSpace(r.Stdout) != "137" {
		t.Errorf("wait: %+v", r)
	}
}

func TestInitPassesKillTERM(t *testing.T) {
	e := user(t)
	id := detached(t, e, "--init", e.Rootfs, "sleep", "1000")
	// The tiny init is PID 1 and sleep its child.
	rec := inspect(t, e, id)
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", rec.Pid)); strings.TrimSpace(string(comm)) == "sleep" {
		t.Errorf("with --init, PID 1 is sleep itself")
	}
	e.MustRun(t, "kill", "-s", "TERM", id)
	if r := e.Run(t, "", "wait", id); r.Status != 143 {
		t.Errorf("wait after kill -s TERM: %+v, want 143", r)
	}
}

func TestRmLeavesNothing(t *testing.T) {
	e := user(t)
	id := detached(t, e, "--name", "gone", e.Rootfs, "sleep", "1000")
	dir := inspect(t, e, id).Dir
	oneLine125(t, e.Run(t, "", "rm", "gone"), "is running")
	if out := e.MustRun(t, "rm", "-f", "gone"); strings.TrimSpace(out) != "gone" {
		t.Errorf("rm -f printed %q", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s after rm: %v", dir, err)
	}
	if out := e.MustRun(t, "ps", "-a", "-q"); out != "" {
		t.Errorf("ps -a after rm: %q", out)
	}
	// The name is free again; a --rm container removes itself when it exits
	// (it may be gone before a `wait` could start, as in docker: poll).
	id2 := detached(t, e, "--rm", "--name", "gone", e.Rootfs, "true")
	deadline := time.Now().Add(20 * time.Second)
	for strings.Contains(e.MustRun(t, "ps", "-a", "-q"), id2) {
		if time.Now().After(deadline) {
			t.Fatalf("--rm container %s still listed after it exited", id2)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTwentyDetachedAtOnce(t *testing.T) {
	e := user(t)
	const n = 20
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.Run(t, "", "run", "-d", "--network", "none", "--name", "c"+strconv.Itoa(i), e.Rootfs, "sleep", "1000")
			ids[i] = strings.TrimSpace(r.Stdout)
			if r.Status != 0 {
				t.Errorf("run -d #%d: %+v", i, r)
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() { e.Run(t, "", append([]string{"rm", "-f"}, ids...)...) })
	if t.Failed() {
		return
	}
	if got := strings.Fields(e.MustRun(t, "ps", "-q")); len(got) != n {
		t.Fatalf("ps -q lists %d containers, want %d", len(got), n)
	}
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.Run(t, "", "stop", ids[i]); r.Status != 0 {
				t.Errorf("stop #%d: %+v", i, r)
			}
		}()
	}
	wg.Wait()
	if got := e.MustRun(t, "ps", "-q"); got != "" {
		t.Errorf("ps -q after stopping all: %q", got)
	}
	e.MustRun(t, append([]string{"rm"}, ids...)...)
}

func TestSigkillOfMonitorKillsContainer(t *testing.T) {
	e := user(t)
	id := detached(t, e, e.Rootfs, "sleep", "1000")
	rec := inspect(t, e, id)
	if err := syscall.Kill(rec.MonitorPid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", rec.MonitorPid, err)
	}
	// Pdeathsig on the monitor's thread kills PID 1, and with it the PID
	// namespace: wait for the pid to go (CheckClean waits for the rest).
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/cmdline", rec.Pid)); os.IsNotExist(err) {
			break
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 25e6}, nil)
	}
	after := inspect(t, e, id)
	if after.Status != "exited" || !strings.Contains(after.Error, "monitor") {
		t.Errorf("after kill -9 of the monitor: %+v", after)
	}
	if procs := e.Procs(); len(procs) > 0 {
		for i := 0; i < 100 && len(procs) > 0; i++ {
			syscall.Nanosleep(&syscall.Timespec{Nsec: 50e6}, nil)
			procs = e.Procs()
		}
		if len(procs) > 0 {
			t.Errorf("processes left after the monitor's SIGKILL: %v", procs)
		}
	}
	e.MustRun(t, "rm", id)
}

func TestForegroundRunIsListed(t *testing.T) {
	e := user(t)
	cmd := e.Command("run", "--network", "none", "--name", "fg", e.Rootfs, "sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	var rec record
	for i := 0; i < 400; i++ {
		r := e.Run(t, "", "inspect", "fg")
		var recs []record
		if r.Status == 0 && json.Unmarshal([]byte(r.Stdout), &recs) == nil && recs[0].Status == "running" {
			rec = recs[0]
			break
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 25e6}, nil)
	}
	if rec.Pid <= 0 || rec.Detached {
		t.Fatalf("foreground run not listed as running: %+v", rec)
	}
	// A SIGKILLed foreground run's record is collected by the next list.
	cmd.Process.Kill()
	cmd.Wait()
	if out := e.MustRun(t, "ps", "-a", "-q"); out != "" {
		t.Errorf("ps -a after SIGKILL of the foreground run: %q", out)
	}
}

func TestBackgroundBadInput(t *testing.T) {
	e := user(t)
	exited := detached(t, e, "--name", "done", e.Rootfs, "true")
	e.MustRun(t, "wait", exited)
	running := detached(t, e, "--name", "busy", e.Rootfs, "sleep", "1000")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stop", "nosuch"}, "no such container: nosuch"},
		{[]string{"inspect", "nosuch"}, "no such container: nosuch"},
		{[]string{"run", "-d", "--name", "busy", e.Rootfs, "true"}, running},
		{[]string{"run", "-d", "--name", "bad/name", e.Rootfs, "true"}, "invalid container name"},
		{[]string{"stop", "done"}, "is not running"},
		{[]string{"kill", "done"}, "is not running"},
		{[]string{"attach", "done"}, "is not running"},
		{[]string{"rm", "busy"}, "is running"},
		{[]string{"attach", "--detach-keys", "ctrl-1", "busy"}, "invalid --detach-keys"},
		{[]string{"kill", "-s", "NOPE", "busy"}, "invalid signal"},
		{[]string{"logs", "--tail", "x", "busy"}, "invalid --tail"},
	} {
		oneLine125(t, e.Run(t, "", tc.args...), tc.want)
	}
	// Start errors reach the caller with their status, and leave nothing.
	r := e.Run(t, "", "run", "-d", "--network", "none", e.Rootfs, "/no/such")
	if r.Status != 127 || strings.Count(r.Stderr, "\n") != 1 || r.Stdout != "" {
		t.Errorf("run -d of a missing command: %+v, want 127 and one line", r)
	}
	e.MustRun(t, "rm", "-f", running, exited)
	if out := e.MustRun(t, "ps", "-a", "-q"); out != "" {
		t.Errorf("left: %q", out)
	}
	base := filepath.Join(os.TempDir(), "urun-"+strconv.Itoa(e.UID))
	if ents, _ := os.ReadDir(base); len(ents) > 0 {
		t.Errorf("store not empty: %v", ents)
	}
}

func TestAttachWithoutTerminal(t *testing.T) {
	e := user(t)
	id := detached(t, e, "-i", e.Rootfs, "sh", "-c", `read line; echo "got $line"; echo err-side >&2; exit 4`)
	r := e.Run(t, "hello\n", "attach", id)
	if r.Status != 4 || r.Stdout != "got hello\n" || r.Stderr != "err-side\n" {
		t.Errorf("attach with piped stdin: %+v, want status 4, stdout %q, stderr %q", r, "got hello\n", "err-side\n")
	}
}

func TestRemovedLogKeepsContainer(t *testing.T) {
	e := user(t)
	w := e.TempDir(t)
	id := detached(t, e, "-v", w+":/w", e.Rootfs, "sh", "-c",
		`echo first; while [ ! -e /w/go ]; do sleep 0.1; done; echo second; while :; do sleep 1; done`)
	dir := inspect(t, e, id).Dir
	// The container has written its first line when the log has it.
	for i := 0; i < 400 && !strings.Contains(e.Run(t, "", "logs", id).Stdout, "first"); i++ {
		syscall.Nanosleep(&syscall.Timespec{Nsec: 25e6}, nil)
	}
	if err := os.Remove(filepath.Join(dir, "log")); err != nil {
		t.Fatal(err)
	}
	e.Sh(t, "touch "+w+"/go")
	// The monitor starts a new log; the container runs on.
	var out string
	for i := 0; i < 400; i++ {
		if out = e.Run(t, "", "logs", id).Stdout; strings.Contains(out, "second") {
			break
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 25e6}, nil)
	}
	if out != "second\n" {
		t.Errorf("logs after the log was removed: %q, want the lines written since", out)
	}
	if rec := inspect(t, e, id); rec.Status != "running" {
		t.Errorf("after its log was removed the container is %s", rec.Status)
	}
}

// waitListed starts a foreground run and returns once ps lists it running.
func waitListed(t *testing.T, e *testutil.Env, name string, args ...string) (*exec.Cmd, record) {
	t.Helper()
	cmd := e.Command(append([]string{"run", "--network", "none", "--name", name}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 400; i++ {
		r := e.Run(t, "", "inspect", name)
		var recs []record
		if r.Status == 0 && json.Unmarshal([]byte(r.Stdout), &recs) == nil && recs[0].Status == "running" {
			return cmd, recs[0]
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 25e6}, nil)
	}
	t.Fatalf("foreground run %s never listed as running", name)
	return nil, record{}
}

// TestStopForegroundRun: stop and kill work on a container running in the
// foreground of another terminal, through the signals its urun passes on.
func TestStopForegroundRun(t *testing.T) {
	e := user(t)
	cmd, _ := waitListed(t, e, "fg", e.Rootfs, "sleep", "1000")
	if out := e.MustRun(t, "stop", "fg"); strings.TrimSpace(out) != "fg" {
		t.Errorf("stop printed %q", out)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
		t.Errorf("the foreground urun after stop: %v, want status 143", err)
	}
	cmd, _ = waitListed(t, e, "fg2", e.Rootfs, "sh", "-c", `trap "exit 7" USR1; while :; do sleep 0.1; done`)
	e.MustRun(t, "kill", "-s", "USR1", "fg2")
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Errorf("the foreground urun after kill -s USR1: %v, want the trap's 7", err)
	}
	oneLine125(t, e.Run(t, "", "kill", "-s", "WINCH", "nosuch"), "no such container")
}
