package integration

// Exec tests: `urun exec` into a container that another urun process runs in
// the foreground, as the test user; terminals through real ptys.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urun-dev/urun/internal/testutil"
)

// box is a running container: a foreground `urun run` started by the test,
// whose PID 1 has written /tmp/from-pid1 and sleeps.
type box struct {
	t    *testing.T
	e    *testutil.Env
	cmd  *exec.Cmd
	pid1 int    // host pid of the container's PID 1
	id   string // its name in the store
}

// boxes counts the containers started, for names of their own.
var boxes int

// startBox starts `urun run [extra...] ROOTFS sh -c '...; exec sleep'` and
// waits until its PID 1 sleeps. The test's cleanup stops it.
func startBox(t *testing.T, e *testutil.Env, extra ...string) *box {
	t.Helper()
	boxes++
	name := fmt.Sprintf("exec-%d-%d", os.Getpid(), boxes)
	args := append([]string{"run", "-q", "--hostname", "box", "--name", name}, extra...)
	args = append(args, e.Rootfs, "sh", "-c", "echo written-by-pid1 > /tmp/from-pid1; exec sleep 1000")
	cmd := e.Command(args...)
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &box{t: t, e: e, cmd: cmd}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
	})
	deadline := time.Now().Add(time.Minute) // a hang guard, not a measure
	for time.Now().Before(deadline) {
		if p := pid1Of(cmd.Process.Pid); p > 0 {
			if c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); strings.HasPrefix(string(c), "sleep\x00") {
				b.pid1, b.id = p, name
				return b
			}
		}
		select {
		case <-done:
			t.Fatalf("the container ended before it ran: %s", errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the container's PID 1 did not start sleeping within a minute")
	return nil
}

// pid1Of is the child of urun that is PID 1 of its own PID namespace (urun
// has slirp4netns as a child too).
func pid1Of(urun int) int {
	for _, c := range children(urun) {
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", c))
		for _, l := range strings.Split(string(st), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "NSpid:" && f[2] == "1" {
				return c
			}
		}
	}
	return 0
}

// args is `urun exec [flags...] ID` for this container.
func (b *box) args(flags ...string) []string {
	return append(append([]string{"exec"}, flags...), b.id)
}

// exec runs `urun exec [flags] ID cmd...` with stdin.
func (b *box) exec(stdin string, flags []string, cmd ...string) testutil.Result {
	b.t.Helper()
	return b.e.Run(b.t, stdin, append(b.args(flags...), cmd...)...)
}

// sh runs a shell line in the container through exec and fails the test
// unless it succeeds.
func (b *box) sh(line string) string {
	b.t.Helper()
	r := b.exec("", nil, "sh", "-c", line)
	if r.Status != 0 {
		b.t.Fatalf("exec sh -c %q: status %d, stderr %q", line, r.Status, r.Stderr)
	}
	return r.Stdout
}

// TestExecSeesTheContainer: a process exec'd into a container that another
// process runs in the foreground sees its hostname, its PID namespace (ps
// shows the container's PID 1), its files and, with slirp4netns, its
// network address.
func TestExecSeesTheContainer(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	if got := b.sh("hostname"); got != "box\n" {
		t.Errorf("hostname %q, want box", got)
	}
	if got := b.sh("cat /tmp/from-pid1"); got != "written-by-pid1\n" {
		t.Errorf("the file PID 1 wrote reads %q", got)
	}
	ps := b.sh("ps -o pid,comm")
	if !regexp.MustCompile(`(?m)^\s*1 sleep$`).MatchString(ps) {
		t.Errorf("ps inside does not show the container's PID 1 sleeping:\n%s", ps)
	}
	if strings.Count(strings.TrimSpace(ps), "\n") > 3 {
		t.Errorf("ps inside shows more than the container's processes:\n%s", ps)
	}
	inside := strings.Fields(b.sh("for n in pid mnt cgroup ipc uts user; do readlink /proc/1/ns/$n; readlink /proc/self/ns/$n; done"))
	if len(inside) != 12 {
		t.Errorf("namespaces inside: %q", inside)
	}
	for i := 0; i+1 < len(inside); i += 2 {
		if inside[i] != inside[i+1] {
			t.Errorf("namespace %s of PID 1, %s of the exec'd process", inside[i], inside[i+1])
		}
	}
}

// TestExecIntoADetachedContainer: exec works the same on a container that
// `run -d` started, whose monitor is not the caller's child.
func TestExecIntoADetachedContainer(t *testing.T) {
	e := user(t)
	name := fmt.Sprintf("exec-detached-%d", os.Getpid())
	if r := e.Run(t, "", "run", "-d", "-q", "--name", name, "--hostname", "bg", "--network", "none", e.Rootfs, "sleep", "1000"); r.Status != 0 {
		t.Fatalf("run -d: status %d, %q", r.Status, r.Stderr)
	}
	t.Cleanup(func() { e.Run(t, "", "rm", "-f", name) })
	r := e.Run(t, "", "exec", name, "sh", "-c", "hostname; ps -o pid,comm | grep -c sleep; exit 3")
	if r.Status != 3 || r.Stdout != "bg\n1\n" {
		t.Errorf("exec into a detached container: %q (status %d, %q), want bg, one sleep, status 3", r.Stdout, r.Status, r.Stderr)
	}
	// Stopped: its record says exited; exec says so in one line.
	e.Run(t, "", "kill", name)
	e.Run(t, "", "wait", name)
	r = e.Run(t, "", "exec", name, "true")
	if r.Status != 125 || !strings.Contains(r.Stderr, "not running") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("exec into a stopped container: status %d, %q; want 125 and one line saying it is not running", r.Status, r.Stderr)
	}
}

// TestExecSeesTheContainersNetwork: with slirp4netns, the exec'd process
// has the container's address.
func TestExecSeesTheContainersNetwork(t *testing.T) {
	e := netUser(t)
	b := startBox(t, e)
	if got := b.sh("ip -4 addr show tap0"); !strings.Contains(got, "inet 10.0.2.100/") {
		t.Errorf("exec does not see slirp4netns's address 10.0.2.100:\n%s", got)
	}
}

// TestExecExitStatus: the command's status comes back, 128+N for a signal.
func TestExecExitStatus(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	if r := b.exec("", nil, "sh", "-c", "exit 3"); r.Status != 3 {
		t.Errorf("exec sh -c 'exit 3': status %d, want 3 (stderr %q)", r.Status, r.Stderr)
	}
	if r := b.exec("", nil, "sh", "-c", "kill -TERM $$"); r.Status != 143 {
		t.Errorf("exec of a shell killing itself with SIGTERM: status %d, want 143", r.Status)
	}
}

// TestExecCommandThatCannotRun: a missing command is 127, a file that is
// not executable 126, a missing work directory 125; each one line.
func TestExecCommandThatCannotRun(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	for _, c := range []struct {
		flags  []string
		cmd    []string
		status int
		says   string
	}{
		{nil, []string{"no-such-command"}, 127, "not found"},
		{nil, []string{"/no/such/file"}, 127, "no such file"},
		{nil, []string{"/etc/passwd"}, 126, "cannot be executed"},
		{[]string{"-w", "/no/such/dir"}, []string{"true"}, 125, "/no/such/dir"},
	} {
		r := b.exec("", c.flags, c.cmd...)
		if r.Status != c.status || !strings.Contains(r.Stderr, c.says) || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("exec %v %v: status %d, stderr %q; want %d and one line saying %q", c.flags, c.cmd, r.Status, r.Stderr, c.status, c.says)
		}
	}
}

// TestExecIntoAContainerThatIsGone: a container that has ended, one whose
// urun was killed (its record left behind), and a name no container has:
// each one line, 125.
func TestExecIntoAContainerThatIsGone(t *testing.T) {
	e := user(t)
	ended := startBox(t, e, "--network", "none")
	_ = ended.cmd.Process.Signal(syscall.SIGTERM)
	killed := startBox(t, e, "--network", "none")
	_ = killed.cmd.Process.Signal(syscall.SIGKILL)
	for _, b := range []*box{ended, killed} {
		for i := 0; i < 1000 && (pid1Of(b.cmd.Process.Pid) != 0 || syscall.Kill(b.pid1, 0) == nil); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, args := range [][]string{ended.args(), killed.args(), {"exec", "no-such-container"}} {
		r := e.Run(t, "", append(args, "true")...)
		if r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 || !strings.HasPrefix(r.Stderr, "urun: ") {
			t.Errorf("urun %v true: status %d, stderr %q; want 125 and one line", args, r.Status, r.Stderr)
		}
	}
}

// TestExecEnvWorkdirAndStdin: -e over the container's environment, -w, and
// stdin only with -i.
func TestExecEnvWorkdirAndStdin(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	r := b.exec("", []string{"-e", "FOO=bar", "-w", "/tmp"}, "sh", "-c", `echo "$FOO $PWD $container"`)
	if r.Status != 0 || r.Stdout != "bar /tmp urun\n" {
		t.Errorf("exec -e FOO=bar -w /tmp: %q (status %d, %q), want \"bar /tmp urun\"", r.Stdout, r.Status, r.Stderr)
	}
	if r := b.exec("typed\n", []string{"-i"}, "cat"); r.Stdout != "typed\n" {
		t.Errorf("exec -i cat read %q, want the input", r.Stdout)
	}
	if r := b.exec("typed\n", nil, "cat"); r.Status != 0 || r.Stdout != "" {
		t.Errorf("exec cat without -i read %q (status %d), want nothing", r.Stdout, r.Status)
	}
}

// TestExecAsAnotherUser: -u resolves in the container's /etc/passwd; the
// user has no capabilities.
func TestExecAsAnotherUser(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	r := b.exec("", []string{"-u", "1000"}, "sh", "-c", "id -u; id -g; grep CapEff /proc/self/status")
	if r.Status != 0 || !strings.HasPrefix(r.Stdout, "1000\n") || !strings.Contains(r.Stdout, "CapEff:\t0000000000000000") {
		t.Errorf("exec -u 1000: %q (status %d, %q)", r.Stdout, r.Status, r.Stderr)
	}
	r = b.exec("", []string{"-u", "nobody"}, "sh", "-c", `id; echo "$HOME $USER"`)
	if r.Status != 0 || !strings.Contains(r.Stdout, "uid=65534(nobody)") || !strings.Contains(r.Stdout, "nobody") {
		t.Errorf("exec -u nobody: %q (status %d, %q), want the container's nobody", r.Stdout, r.Status, r.Stderr)
	}
	if r := b.exec("", []string{"-u", "no-such-user"}, "true"); r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("exec -u no-such-user: status %d, %q; want 125 and one line", r.Status, r.Stderr)
	}
}

// TestExecHasTheContainersConfinement: the exec'd process has PID 1's
// capability sets, no_new_privs, seccomp mode and rlimits, with urun's
// defaults and with the container's own choices.
func TestExecHasTheContainersConfinement(t *testing.T) {
	e := user(t)
	const status = "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/%s/status; grep 'open files' /proc/%s/limits"
	for _, flags := range [][]string{
		{"--network", "none"},
		{"--network", "none", "--security-opt", "no-new-privileges", "--cap-drop", "CHOWN", "--ulimit", "nofile=512:1024"},
	} {
		b := startBox(t, e, flags...)
		pid1 := b.sh(fmt.Sprintf(status, "1", "1"))
		self := b.sh(fmt.Sprintf(status, "self", "self"))
		if pid1 != self || !strings.Contains(self, "Seccomp:\t2") {
			t.Errorf("run %v: PID 1 has\n%s\nthe exec'd process\n%s\nwant the same, with a seccomp filter", flags, pid1, self)
		}
		if len(flags) > 2 && (!strings.Contains(self, "NoNewPrivs:\t1") || !strings.Contains(self, " 512 ")) {
			t.Errorf("run %v: the exec'd process has\n%s\nwant no_new_privs and 512 open files", flags, self)
		}
	}
}

// TestExecDetached: -d returns at once; the process runs on in the
// container.
func TestExecDetached(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	// The detached process keeps exec's stdout, as with runc: a file here.
	outFile := filepath.Join(e.TempDir(t), "out")
	out, err := os.Create(outFile)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := e.Command(append(b.args("-d"), "sh", "-c", "echo started > /tmp/detached; echo to-stdout; exec sleep 1000")...)
	// Not a pipe for stderr either: the process holds it as long as it runs.
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		got, _ := os.ReadFile(outFile)
		t.Fatalf("exec -d: %v, %q", err, got)
	}
	var ps string
	for i := 0; i < 1000; i++ { // a hang guard, not a measure
		got, _ := os.ReadFile(outFile)
		if ps = b.sh("ps -o comm; cat /tmp/detached 2>/dev/null"); strings.Count(ps, "sleep") == 2 && strings.Contains(ps, "started") && string(got) == "to-stdout\n" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, _ := os.ReadFile(outFile)
	t.Errorf("the detached process is not running in the container, or did not write to exec's stdout (%q):\n%s", got, ps)
}

// TestExecTerminal: `exec -it ID sh` through a real pty gets a terminal of
// the container's devpts, and `exit 3` returns 3 with the user's terminal
// restored.
func TestExecTerminal(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	tm := startOnTerminal(t, e, append(b.args("-it", "-e", "PS1="+ttyPrompt), "sh")...)
	tm.c.Expect(ttyPrompt)
	tm.checkRaw()
	if got := tm.run("tty"); !regexp.MustCompile(`^/dev/pts/\d+\r\n$`).MatchString(got) {
		t.Errorf("tty in exec -t: %q, want a terminal of the container's devpts", got)
	}
	if got := tm.run("hostname"); got != "box\r\n" {
		t.Errorf("hostname %q", got)
	}
	tm.c.Send("exit 3\r")
	tm.wait(3)
}

// TestExecTerminalWithoutATerminal: -t with stdin not a terminal is one
// line, 125.
func TestExecTerminalWithoutATerminal(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	if r := b.exec("", []string{"-t"}, "true"); r.Status != 125 || !strings.Contains(r.Stderr, "not a TTY") {
		t.Errorf("exec -t from a pipe: status %d, %q", r.Status, r.Stderr)
	}
}

// TestExecForwardsSignals: SIGTERM to urun exec reaches the process, which
// has no handler and is not PID 1: it dies of it, and urun says 143.
func TestExecForwardsSignals(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	cmd := e.Command(append(b.args(), "sh", "-c", "echo ready; exec sleep 1000")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 6)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "ready\n" {
		t.Fatalf("exec'd process did not start: %q %v", line, err)
	}
	// "ready" comes before the exec of sleep: wait for sleep to be the
	// command, so that the signal does not meet the shell's disposition.
	for i := 0; i < 1000 && !strings.Contains(b.sh("ps -o comm"), "sleep\nsleep"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if got := status(cmd.Wait()); got != 143 {
		t.Errorf("urun exec after SIGTERM: status %d, want 143", got)
	}
}

// TestExecLeavesNothing: once exec ends, the test user has the processes it
// had before (no nsenter, no stage), and none of them holds a sealed copy
// of urun or a socket it did not hold before.
func TestExecLeavesNothing(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none")
	before := userProcs(e)
	fdsBefore := fdLinks(before)
	for _, flags := range [][]string{nil, {"-i"}} {
		if r := b.exec("", flags, "sh", "-c", "exit 3"); r.Status != 3 {
			t.Fatalf("exec: status %d %q", r.Status, r.Stderr)
		}
	}
	if r := b.exec("", nil, "no-such-command"); r.Status != 127 {
		t.Fatalf("exec of a missing command: status %d %q", r.Status, r.Stderr)
	}
	var after []int
	for i := 0; i < 100; i++ { // nsenter's exit is reaped at once; a guard only
		if after = userProcs(e); fmt.Sprint(after) == fmt.Sprint(before) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the test user's processes were %v before exec, %v after", before, after)
	}
	if got := fdLinks(after); got != fdsBefore {
		t.Errorf("descriptors before exec:\n%s\nafter:\n%s", fdsBefore, got)
	}
	if strings.Contains(fdsBefore, "memfd:urun") {
		t.Errorf("a process holds urun's sealed copy:\n%s", fdsBefore)
	}
}

// userProcs lists the pids of the test user's processes.
func userProcs(e *testutil.Env) []int {
	var pids []int
	for _, p := range e.Procs() {
		if pid, err := strconv.Atoi(strings.Fields(p)[0]); err == nil {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids
}

// fdLinks describes the open descriptors of pids, socket inodes blanked to
// their kind.
func fdLinks(pids []int) string {
	var b strings.Builder
	for _, p := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", p)
		ents, _ := os.ReadDir(dir)
		for _, d := range ents {
			l, _ := os.Readlink(filepath.Join(dir, d.Name()))
			fmt.Fprintf(&b, "%d %s %s\n", p, d.Name(), l)
		}
	}
	return b.String()
}

// TestExecCannotReachUrunsBinary is the #!/proc/self/exe attack of
// sealed_test.go through exec: a script in the rootfs starting with
// #!/proc/self/exe makes the kernel run, as the exec'd command, whatever
// binary the exec stage was running. From inside, that process's exe must be
// the sealed copy: not the host binary (the user's own, so root inside could
// otherwise write it), and not writable.
func TestExecCannotReachUrunsBinary(t *testing.T) {
	e := user(t)
	installProbe(t, e)
	e.ExeScript(t, "evil-exec.sh")
	bin := e.OwnBinary(t)
	var hostSt syscall.Stat_t
	if err := syscall.Stat(bin, &hostSt); err != nil {
		t.Fatal(err)
	}
	before := hashFile(t, bin)

	b := startBox(t, e, "--network", "none")
	// The exec'd urun (from the script) blocks on its error line into a
	// full pipe while the probe looks at it.
	cmd := e.Command(append(b.args(), "/evil-exec.sh")...)
	cmd.Path, cmd.Args[0] = bin, bin
	errR, errW := fullPipe(t)
	defer errR.Close()
	cmd.Stderr = errW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errW.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		go func() { _, _ = io.Copy(io.Discard, errR) }()
		<-done
	}()
	// The exec'd process: in the container, running /proc/self/exe.
	inner := 0
	for i := 0; i < 6000 && inner == 0; i++ { // a hang guard, not a measure
		for _, p := range userProcs(e) {
			c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
			if strings.HasPrefix(string(c), "/proc/self/exe\x00/evil-exec.sh") {
				inner = nsPid(p)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if inner == 0 {
		t.Fatal("the script's process never ran in the container")
	}
	r := b.exec("", nil, "/bin/urunprobe", "exe", fmt.Sprintf("/proc/%d/exe", inner))
	got := fields(r.Stdout)
	t.Logf("inside: %q %q", r.Stdout, r.Stderr)
	if !strings.HasPrefix(got["link"], "/memfd:") {
		t.Errorf("the script's process runs %q, want the sealed copy (/memfd:...)", got["link"])
	}
	if got["devino"] == "" || got["devino"] == fmt.Sprintf("%d:%d", hostSt.Dev, hostSt.Ino) {
		t.Errorf("its exe is inode %q: the host binary's, or none", got["devino"])
	}
	if got["write"] == "written" || got["open-write"] == "opened" {
		t.Errorf("its binary could be written from inside: %q", r.Stdout)
	}
	if after := hashFile(t, bin); after != before {
		t.Errorf("the host binary changed")
	}
}

// nsPid is pid's pid in its innermost PID namespace.
func nsPid(pid int) int {
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(st), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "NSpid:" {
			n, _ := strconv.Atoi(f[len(f)-1])
			return n
		}
	}
	return 0
}

// TestExecWithKeepIDAndHostNetwork: with --userns keep-id exec runs as the
// user's own ids (nsenter has to become root inside first to keep the
// capabilities for the change), and -u 0 is root with the container's set;
// with --network host there is no network namespace of the container's own
// to join, and exec still works.
func TestExecWithKeepIDAndHostNetwork(t *testing.T) {
	e := user(t)
	b := startBox(t, e, "--network", "none", "--userns", "keep-id")
	if got := b.sh("id -u; id -g"); got != fmt.Sprintf("%d\n%d\n", e.UID, e.GID) {
		t.Errorf("exec with keep-id runs as %q, want %d:%d", got, e.UID, e.GID)
	}
	r := b.exec("", []string{"-u", "0"}, "sh", "-c", "id -u; grep CapEff /proc/self/status")
	if r.Status != 0 || !strings.HasPrefix(r.Stdout, "0\n") || strings.Contains(r.Stdout, "CapEff:\t0000000000000000") {
		t.Errorf("exec -u 0 with keep-id: %q (status %d, %q), want root with capabilities", r.Stdout, r.Status, r.Stderr)
	}
	h := startBox(t, e, "--network", "host")
	host, _ := os.Readlink("/proc/self/ns/net")
	if got := strings.TrimSpace(h.sh("readlink /proc/self/ns/net")); got != host {
		t.Errorf("exec into a --network host container is in network namespace %s, want the host's %s", got, host)
	}
}
