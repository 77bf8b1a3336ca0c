// Package integration runs the real urun binary as the unprivileged test user
// against real newuidmap, namespaces and mounts.
package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urun-dev/urun/internal/testutil"
)

func user(t *testing.T) *testutil.Env {
	e := testutil.Get(t, testutil.DefaultUser)
	t.Cleanup(func() { e.CheckClean(t) })
	return e
}

func TestPID1AndRoot(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, e.Rootfs, "sh", "-c", `echo pid=$$ uid=$(id -u) gid=$(id -g)`)
	if strings.TrimSpace(out) != "pid=1 uid=0 gid=0" {
		t.Fatalf("got %q, want pid=1 uid=0 gid=0", out)
	}
}

func TestUIDMapWithRanges(t *testing.T) {
	e := user(t)
	r := e.Run(t, "", e.Rootfs, "cat", "/proc/self/uid_map", "/proc/self/gid_map")
	if r.Status != 0 {
		t.Fatalf("status %d: %s", r.Status, r.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 2-line uid_map and gid_map, got:\n%s", r.Stdout)
	}
	if f := strings.Fields(lines[0]); f[0] != "0" || f[1] != fmt.Sprint(e.UID) || f[2] != "1" {
		t.Errorf("first uid_map line %q: want 0 %d 1", lines[0], e.UID)
	}
	if f := strings.Fields(lines[1]); f[0] != "1" || f[2] == "1" {
		t.Errorf("second uid_map line %q: want the subordinate range from container id 1", lines[1])
	}
	if strings.Contains(r.Stderr, "notice") {
		t.Errorf("unexpected notice with ranges: %s", r.Stderr)
	}
}

func TestUIDMapFallback(t *testing.T) {
	e := testutil.Get(t, testutil.RangelessUser)
	t.Cleanup(func() { e.CheckClean(t) })
	r := e.Run(t, "", e.Rootfs, "cat", "/proc/self/uid_map")
	if r.Status != 0 {
		t.Fatalf("status %d: %s", r.Status, r.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 1 || strings.Join(strings.Fields(lines[0]), " ") != fmt.Sprintf("0 %d 1", e.UID) {
		t.Fatalf("want the 1-line map 0 %d 1, got %q", e.UID, r.Stdout)
	}
	if n := strings.Count(r.Stderr, "\n"); n != 1 || !strings.Contains(r.Stderr, "usermod --add-subuids") {
		t.Errorf("want one notice line naming usermod --add-subuids, got %q", r.Stderr)
	}
	r = e.Run(t, "", "run", "--quiet", e.Rootfs, "true")
	if r.Status != 0 || r.Stderr != "" {
		t.Errorf("--quiet: status %d, stderr %q; want 0 and nothing", r.Status, r.Stderr)
	}
}

func TestHostname(t *testing.T) {
	e := user(t)
	host, _ := os.Hostname()
	if out := e.MustRun(t, "run", "--hostname", "box", e.Rootfs, "hostname"); strings.TrimSpace(out) != "box" {
		t.Errorf("hostname inside: %q, want box", out)
	}
	if out := e.MustRun(t, e.Rootfs, "hostname"); !regexp.MustCompile(`^[0-9a-f]{12}\n$`).MatchString(out) {
		t.Errorf("default hostname %q: want a 12-digit container id", out)
	}
	if now, _ := os.Hostname(); now != host {
		t.Errorf("host's hostname changed from %q to %q", host, now)
	}
}

func TestOnlyContainerProcesses(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, e.Rootfs, "sh", "-c", `cd /proc; for p in [0-9]*; do echo $p; done`)
	pids := strings.Fields(out)
	// PID 1 (the shell) and, at most, the pid of the subshell of the glob.
	if len(pids) == 0 || pids[0] != "1" || len(pids) > 2 {
		t.Fatalf("/proc inside lists %v; want only the container's own processes (1)", pids)
	}
}

func TestSysReadOnlyAndMasked(t *testing.T) {
	e := user(t)
	script := `
touch /sys/x 2>/dev/null && echo sys-writable
echo 1 2>/dev/null >/proc/sys/kernel/hostname && echo procsys-writable
echo h 2>/dev/null >/proc/sysrq-trigger && echo sysrq-writable
for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
  [ -e $f ] && [ -n "$(head -c 1 $f 2>/dev/null)" ] && echo readable $f
done
[ -n "$(ls -A /sys/firmware 2>/dev/null)" ] && echo readable /sys/firmware
grep -q ' /sys sysfs ro,' /proc/mounts || echo sys-not-ro
echo done`
	out := e.MustRun(t, e.Rootfs, "sh", "-c", script)
	if strings.TrimSpace(out) != "done" {
		t.Fatalf("isolation holes:\n%s", out)
	}
}

func TestCapabilities(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, e.Rootfs, "cat", "/proc/self/status")
	want := map[string]string{
		// podman's rootless default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL
		// SETGID SETUID SETPCAP NET_BIND_SERVICE SYS_CHROOT SETFCAP.
		"CapEff": "00000000800405fb", "CapBnd": "00000000800405fb",
		"CapInh": "0000000000000000", "CapAmb": "0000000000000000",
		// Off by default, as podman: sudo inside must work.
		"NoNewPrivs": "0",
	}
	for k, v := range want {
		m := regexp.MustCompile(`(?m)^` + k + `:\s*(\S+)`).FindStringSubmatch(out)
		if m == nil || m[1] != v {
			t.Errorf("%s = %v, want %s", k, m, v)
		}
	}
}

func TestNoLeakedDescriptors(t *testing.T) {
	e := user(t)
	// ls opens the directory itself as fd 3.
	out := e.MustRun(t, e.Rootfs, "ls", "/proc/self/fd")
	if f := strings.Fields(out); len(f) > 4 {
		t.Fatalf("the command holds descriptors it should not: %v", f)
	}
}

func TestNetworkNone(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, "run", "--network", "none", e.Rootfs, "cat", "/proc/net/dev")
	if strings.Count(out, ":") != 1 || !strings.Contains(out, "lo:") {
		t.Fatalf("want only lo in the network namespace, got:\n%s", out)
	}
	out = e.MustRun(t, "run", "--network", "none", e.Rootfs, "ip", "link", "show", "lo")
	if !strings.Contains(out, "UP") {
		t.Fatalf("lo is not up: %s", out)
	}
}

func TestEnvAndWorkdir(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, "run", "-e", "FOO=a,b=c", "-e", "PATH=/bin", "-w", "/tmp", e.Rootfs, "sh", "-c", `echo "$FOO|$PATH|$HOME|$(pwd)"`)
	if strings.TrimSpace(out) != "a,b=c|/bin|/root|/tmp" {
		t.Fatalf("got %q", out)
	}
}

// TestCommandEnvironmentIsTheContainers: urun's stages run with an
// environment of their own (GOMAXPROCS=1), which the command never sees:
// its environment is the container's, with --init and through exec too.
func TestCommandEnvironmentIsTheContainers(t *testing.T) {
	e := user(t)
	want := "HOME=/root\nHOSTNAME=h\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\ncontainer=urun\n"
	for _, args := range [][]string{
		{"run", "--network", "none", "--hostname", "h", e.Rootfs, "env"},
		{"run", "--network", "none", "--hostname", "h", "--init", e.Rootfs, "env"},
	} {
		out := e.MustRun(t, args...)
		if got := sortedLines(out); got != want {
			t.Errorf("urun %q: environment %q, want %q", args, got, want)
		}
	}
	b := startBox(t, e, "--network", "none", "--hostname", "h")
	if r := b.exec("", nil, "env"); r.Status != 0 || sortedLines(r.Stdout) != want {
		t.Errorf("exec env: %q (status %d, %q), want %q", sortedLines(r.Stdout), r.Status, r.Stderr, want)
	}
}

// sortedLines returns the lines of s sorted, each ending in a newline.
func sortedLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n") + "\n"
}

func TestExitStatuses(t *testing.T) {
	e := user(t)
	cases := []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"success", []string{e.Rootfs, "true"}, 0, ""},
		{"own status", []string{e.Rootfs, "sh", "-c", "exit 42"}, 42, ""},
		{"not found", []string{e.Rootfs, "nosuchcmd"}, 127, `"nosuchcmd": executable file not found`},
		{"no such path", []string{e.Rootfs, "/bin/nosuch"}, 127, `"/bin/nosuch": no such file`},
		{"not executable", []string{e.Rootfs, "/etc/passwd"}, 126, `"/etc/passwd" cannot be executed`},
		{"a directory", []string{e.Rootfs, "/tmp"}, 126, `"/tmp" cannot be executed`},
		{"urun error", []string{"/nonexistent-rootfs", "true"}, 125, "does not exist"},
		{"killed by signal", []string{e.Rootfs, "sh", "-c", "sh -c 'kill -9 $$'; exit $?"}, 137, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Run(t, "", c.args...)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d (stderr %q)", r.Status, c.status, r.Stderr)
			}
			if c.stderr != "" && (!strings.Contains(r.Stderr, c.stderr) || strings.Count(r.Stderr, "\n") != 1) {
				t.Errorf("stderr %q: want one line containing %q", r.Stderr, c.stderr)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	e := user(t)
	empty, err := os.MkdirTemp("", "urun-empty-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(empty)
	os.Chmod(empty, 0o755)
	file := filepath.Join(empty, "file")
	os.WriteFile(file, nil, 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"rootfs missing", []string{"/nonexistent", "true"}, "does not exist"},
		{"rootfs not a directory", []string{file}, "is not a directory"},
		{"rootfs without a shell", []string{empty}, "has no /bin/sh"},
		{"empty command", []string{e.Rootfs, ""}, "command is empty"},
		{"bad -e", []string{"run", "-e", "=x", e.Rootfs, "true"}, `bad -e "=x"`},
		{"bad -e space", []string{"run", "-e", "A B=x", e.Rootfs, "true"}, "white space"},
		{"workdir a file", []string{"run", "-w", "/etc/passwd", e.Rootfs, "true"}, "is not a directory"},
		{"workdir relative", []string{"run", "-w", "tmp", e.Rootfs, "true"}, "absolute path"},
		{"bad hostname", []string{"run", "--hostname", "a_b", e.Rootfs, "true"}, "bad --hostname"},
		{"unknown flag", []string{"run", "--bogus", e.Rootfs}, "unknown flag"},
		{"bad network", []string{"run", "--network", "bogus", e.Rootfs}, "--network"},
		{"no rootfs", []string{"run"}, "expected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Run(t, "", c.args...)
			if r.Status != 125 {
				t.Fatalf("status %d, want 125 (stderr %q)", r.Status, r.Stderr)
			}
			if !strings.Contains(r.Stderr, c.want) || strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("stderr %q: want one line containing %q", r.Stderr, c.want)
			}
		})
	}
}

func TestStdinPiped(t *testing.T) {
	e := user(t)
	in := strings.Repeat("line of input\n", 10000)
	r := e.Run(t, in, e.Rootfs, "sh", "-c", "cat; echo end")
	if r.Status != 0 || r.Stdout != in+"end\n" {
		t.Fatalf("status %d, %d bytes out of %d", r.Status, len(r.Stdout), len(in)+4)
	}
}

// start starts urun in the background and waits until the container printed
// its first line, so that a signal reaches a running container.
func start(t *testing.T, e *testutil.Env, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := e.Command(args...)
	pr, pw, _ := os.Pipe()
	cmd.Stdout = pw
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	line := make([]byte, 64)
	pr.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := pr.Read(line); err != nil || n == 0 {
		t.Fatalf("container never started: %v %s", err, errb.String())
	}
	go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(pr) }()
	return cmd, &errb
}

func status(err error) int {
	if err == nil {
		return 0
	}
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return -1
	}
	if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

func TestSIGTERMForwarded(t *testing.T) {
	e := user(t)
	cmd, _ := start(t, e, e.Rootfs, "sh", "-c", `trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done`)
	cmd.Process.Signal(syscall.SIGTERM)
	if s := status(cmd.Wait()); s != 42 {
		t.Fatalf("status %d: want 42 from the container's TERM trap", s)
	}
}

func TestSIGTERMStopsUnhandled(t *testing.T) {
	e := user(t)
	// sleep as PID 1 has no handler: the kernel would drop the signal.
	cmd, _ := start(t, e, e.Rootfs, "sh", "-c", "echo ready; exec sleep 1000")
	cmd.Process.Signal(syscall.SIGTERM)
	if s := status(cmd.Wait()); s != 143 {
		t.Fatalf("status %d, want 143", s)
	}
}

func TestSIGKILLOfUrunKillsContainer(t *testing.T) {
	e := user(t)
	cmd, _ := start(t, e, e.Rootfs, "sh", "-c", "sleep 1000 & echo ready; sleep 1000")
	cmd.Process.Kill()
	cmd.Wait()
	// CheckClean (at cleanup) fails if any container process survives.
}

func TestMain(m *testing.M) {
	code := m.Run()
	testutil.Cleanup()
	os.Exit(code)
}

func TestNetworkHostKeepsSysReadOnly(t *testing.T) {
	e := user(t)
	host, _ := os.ReadFile("/proc/net/dev")
	out := e.MustRun(t, "run", "--network", "host", e.Rootfs, "sh", "-c", `cat /proc/net/dev; echo ==; grep ' /sys' /proc/mounts | grep -v ' ro,'; echo end`)
	dev, mounts, _ := strings.Cut(out, "==\n")
	if strings.Count(dev, ":") != strings.Count(string(host), ":") {
		t.Errorf("--network host: want the host's interfaces, got:\n%s", dev)
	}
	if strings.TrimSpace(mounts) != "end" {
		t.Errorf("writable mounts under /sys:\n%s", mounts)
	}
}

func TestOwnSessionWithoutTerminal(t *testing.T) {
	e := user(t)
	// Field 6 of stat is the session id: 1 when PID 1 leads a session of
	// its own, 0 when it sits in urun's session (outside its PID namespace).
	out := e.MustRun(t, "run", "--no-tty", e.Rootfs, "sh", "-c", "cut -d' ' -f6 /proc/1/stat")
	if strings.TrimSpace(out) != "1" {
		t.Fatalf("session of PID 1 = %q, want 1 (a session of its own)", out)
	}
}
