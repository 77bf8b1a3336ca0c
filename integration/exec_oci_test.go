package integration

// Exec as engines call it: runc's `exec --process FILE --pid-file F --detach
// [--console-socket SOCK] ID` (conmon 2.1 and containerd's shim pass exactly
// these), on containers started with `urun run -d`, as the test user.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/testutil"
	"golang.org/x/sys/unix"
)

// ociBox is a container started with `run -d` that sleeps, and a directory
// of the test user's for process files, pid files and sockets.
type ociBox struct {
	t   *testing.T
	e   *testutil.Env
	id  string
	dir string
}

func startOCIBox(t *testing.T, e *testutil.Env) *ociBox {
	t.Helper()
	return &ociBox{t: t, e: e, id: detached(t, e, e.Rootfs, "sleep", "1000"), dir: e.TempDir(t)}
}

// file writes a file the test user owns into the box's directory.
func (b *ociBox) file(name, content string) string {
	b.t.Helper()
	p := filepath.Join(b.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		b.t.Fatal(err)
	}
	os.Chown(p, b.e.UID, b.e.GID)
	return p
}

// process writes a process file as conmon does (a specs.Process as JSON).
func (b *ociBox) process(name string, p map[string]any) string {
	b.t.Helper()
	j, err := json.Marshal(p)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.file(name, string(j))
}

// exec runs `urun exec FLAGS... ID CMD...`.
func (b *ociBox) exec(flags []string, cmd ...string) testutil.Result {
	b.t.Helper()
	return b.e.Run(b.t, "", append(append(append([]string{"exec"}, flags...), b.id), cmd...)...)
}

// TestExecProcessFile: the process of --process runs as the file says: its
// args, env (not the container's), cwd, user with supplementary groups, and
// umask; -e on the command line still goes over it.
func TestExecProcessFile(t *testing.T) {
	e := user(t)
	b := startOCIBox(t, e)
	p := b.process("process.json", map[string]any{
		"args":     []string{"sh", "-c", `echo "$FOO|$container|$(pwd)|$(id -u):$(id -g):$(id -G)|$(umask)"`},
		"env":      []string{"PATH=/bin:/usr/bin", "FOO=from-file"},
		"cwd":      "/tmp",
		"user":     map[string]any{"uid": 1000, "gid": 1000, "additionalGids": []int{10}, "umask": 0o27},
		"terminal": false,
	})
	r := b.exec([]string{"--process", p})
	if want := "from-file||/tmp|1000:1000:1000 10|0027\n"; r.Status != 0 || r.Stdout != want {
		t.Errorf("exec --process: %q (status %d, %q), want %q", r.Stdout, r.Status, r.Stderr, want)
	}
	r = b.exec([]string{"--process", p, "--env", "FOO=from-flag", "--cwd", "/etc"})
	if r.Status != 0 || !strings.HasPrefix(r.Stdout, "from-flag||/etc|") {
		t.Errorf("exec --process with --env and --cwd: %q (status %d, %q), want the flags over the file", r.Stdout, r.Status, r.Stderr)
	}
}

// TestExecRuncFlags: runc's spellings: --user UID:GID, --cap (raised for a
// non-root user too, as runc adds it to every set), --no-new-privs.
func TestExecRuncFlags(t *testing.T) {
	e := user(t)
	b := startOCIBox(t, e)
	r := b.exec([]string{"--user", "1000:1000", "--cap", "NET_RAW", "--no-new-privs"},
		"sh", "-c", "id -u; id -g; grep -E '^(CapEff|CapAmb|NoNewPrivs)' /proc/self/status")
	want := "1000\n1000\nCapEff:\t0000000000002000\nCapAmb:\t0000000000002000\nNoNewPrivs:\t1\n"
	if r.Status != 0 || r.Stdout != want {
		t.Errorf("exec --user 1000:1000 --cap NET_RAW --no-new-privs: %q (status %d, %q), want %q", r.Stdout, r.Status, r.Stderr, want)
	}
}

// TestExecStatusesAsARuntime: with --process, the command's status, 126 and
// 127 as for run.
func TestExecStatusesAsARuntime(t *testing.T) {
	e := user(t)
	b := startOCIBox(t, e)
	for _, c := range []struct {
		args   []string
		status int
	}{
		{[]string{"sh", "-c", "exit 7"}, 7},
		{[]string{"sh", "-c", "kill -KILL $$"}, 137},
		{[]string{"no-such-command"}, 127},
		{[]string{"/etc/passwd"}, 126},
	} {
		p := b.process("p.json", map[string]any{"args": c.args, "cwd": "/", "env": []string{"PATH=/bin"}})
		if r := b.exec([]string{"--process", p}); r.Status != c.status {
			t.Errorf("exec --process of %q: status %d (%q), want %d", c.args, r.Status, r.Stderr, c.status)
		}
	}
}

// subreaper builds the engine stand-in (internal/testutil/subreaper) for
// the test user.
func subreaper(t *testing.T, e *testutil.Env) string {
	t.Helper()
	bin := filepath.Join(e.TempDir(t), "subreaper")
	if err := e.InstallTool("./internal/testutil/subreaper", bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// toolAsUser is a command of the test user's (urun's environment and
// credentials) that runs bin instead of urun.
func toolAsUser(e *testutil.Env, bin string, args ...string) *exec.Cmd {
	cmd := e.Command()
	cmd.Path = bin
	cmd.Args = append([]string{bin}, args...)
	return cmd
}

// facts parses subreaper's key=value lines.
func facts(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// TestExecDetachedPidIsTheEnginesChild: conmon is a child subreaper that
// runs `exec --detach --pid-file F` and then waits for the pid in F; that
// pid must be the command itself, a child of conmon once urun has exited, so
// that conmon gets its exit status: a command that ends at once (before urun
// has even returned) and one that conmon kills.
func TestExecDetachedPidIsTheEnginesChild(t *testing.T) {
	e := user(t)
	b := startOCIBox(t, e)
	reaper := subreaper(t, e)
	for _, c := range []struct {
		name    string
		signal  string
		args    []string
		cmdline string
		end     string
	}{
		{"exit at once", "0", []string{"sh", "-c", "exit 3"}, "", "exit=3"},
		{"killed by the engine", "15", []string{"sleep", "1000"}, "sleep 1000", "signal=15"},
	} {
		pidFile := filepath.Join(b.dir, "pid")
		os.Remove(pidFile)
		p := b.process("p.json", map[string]any{"args": c.args, "cwd": "/", "env": []string{"PATH=/bin"}})
		cmd := toolAsUser(e, reaper, "-signal", c.signal, pidFile,
			e.Bin, "exec", "--pid-file", pidFile, "--process", p, "--detach", b.id)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		f := facts(string(out))
		if err != nil || f["runtime"] != "0" || f["parent"] != "self" || f[strings.Split(c.end, "=")[0]] != strings.Split(c.end, "=")[1] {
			t.Errorf("%s: the engine saw %q (%v, urun said %q); want urun's status 0, the pid its own child and %s", c.name, out, err, stderr.String(), c.end)
		}
		if c.cmdline != "" && f["cmdline"] != c.cmdline {
			t.Errorf("%s: the pid file names %q, want the command %q", c.name, f["cmdline"], c.cmdline)
		}
	}
}

// TestExecDetachedKeepsItsPipes: conmon gives exec -d pipes for the
// command's stdout and stderr; the command writes to them after urun has
// returned, and they close when it ends.
func TestExecDetachedKeepsItsPipes(t *testing.T) {
	e := user(t)
	b := startOCIBox(t, e)
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	inR, inW, _ := os.Pipe()
	cmd := e.Command("exec", "-d", b.id, "sh", "-c", "read line; echo out:$line; echo err >&2")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Run(); err != nil {
		t.Fatalf("exec -d: %v", err)
	}
	// urun is gone; only the command holds the other ends now.
	inR.Close()
	outW.Close()
	errW.Close()
	fmt.Fprintln(inW, "typed-after-exec")
	inW.Close()
	out, _ := io.ReadAll(outR)
	errb, _ := io.ReadAll(errR)
	if string(out) != "out:typed-after-exec\n" || string(errb) != "err\n" {
		t.Errorf("the detached command wrote %q and %q, want out:typed-after-exec and err on its own pipes", out, errb)
	}
}

// TestExecPreserveFDs: --preserve-fds 1 gives the command the caller's fd 3.
func TestExecPreserveFDs(t *testing.T) {
	e := user(t)
	b := startOCIBox(t, e)
	r, w, _ := os.Pipe()
	cmd := e.Command("exec", "--preserve-fds", "1", b.id, "sh", "-c", "echo through-fd-3 >&3; ls /proc/self/fd | wc -l")
	cmd.ExtraFiles = []*os.File{w}
	out, err := cmd.Output()
	w.Close()
	got, _ := io.ReadAll(r)
	// 0, 1, 2, 3 and the one ls opens for /proc/self/fd.
	if err != nil || string(got) != "through-fd-3\n" || strings.TrimSpace(string(out)) != "5" {
		t.Errorf("exec --preserve-fds 1: fd 3 got %q, the command had %q descriptors (%v); want through-fd-3 and 0-3 only", got, out, err)
	}
}

// consoleListener listens on a Unix socket the test user may connect to
// and returns its path and the first descriptor sent to it.
func consoleListener(t *testing.T, e *testutil.Env, dir string) (string, <-chan *os.File) {
	t.Helper()
	path := filepath.Join(dir, "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	os.Chown(path, e.UID, e.GID)
	t.Cleanup(func() { l.Close() })
	got := make(chan *os.File, 1)
	go func() {
		defer close(got)
		c, err := l.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		if len(msgs) == 1 {
			if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
				got <- os.NewFile(uintptr(fds[0]), "master")
			}
		}
	}()
	return path, got
}

// screen records what a terminal master reads.
type screen struct {
	mu   sync.Mutex
	buf  []byte
	done chan struct{}
}

func readScreen(m *os.File) *screen {
	s := &screen{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		b := make([]byte, 4096)
		for {
			n, err := m.Read(b)
			s.mu.Lock()
			s.buf = append(s.buf, b[:n]...)
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

// wait polls for re on the screen; the minute is a hang guard.
func (s *screen) wait(t *testing.T, re *regexp.Regexp) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		ok := re.Match(s.buf)
		s.mu.Unlock()
		if ok {
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("%s did not appear on the terminal; it shows %q", re, s.buf)
}

// TestExecConsoleSocketGetsTheTerminal: with a terminal, exec -d sends the
// pty master to --console-socket (as conmon and containerd's shim ask):
// what is typed there reaches the shell in the container and its output
// comes back; the pid file names the shell; the terminal closes when it
// exits.
func TestExecConsoleSocketGetsTheTerminal(t *testing.T) {
	e := user(t)
	b := startOCIBox(t, e)
	sock, masters := consoleListener(t, e, b.dir)
	pidFile := filepath.Join(b.dir, "pid")
	p := b.process("p.json", map[string]any{
		"args": []string{"sh"}, "cwd": "/", "env": []string{"PATH=/bin", "PS1=$ "},
		"terminal": true, "consoleSize": map[string]any{"height": 33, "width": 77},
	})
	r := b.exec([]string{"--process", p, "--detach", "--console-socket", sock, "--pid-file", pidFile})
	if r.Status != 0 {
		t.Fatalf("exec --detach --console-socket: status %d, %q", r.Status, r.Stderr)
	}
	m := <-masters
	if m == nil {
		t.Fatal("no terminal master arrived on the console socket")
	}
	defer m.Close()
	pid, _ := os.ReadFile(pidFile)
	if cl, _ := os.ReadFile("/proc/" + string(pid) + "/cmdline"); string(cl) != "sh\x00" {
		t.Errorf("the pid file names %q, whose command line is %q; want the shell", pid, cl)
	}
	s := readScreen(m)
	if _, err := m.WriteString("echo hi-$((6*7)); stty size; tty\n"); err != nil {
		t.Fatal(err)
	}
	s.wait(t, regexp.MustCompile(`hi-42\r\n33 77\r\n/dev/pts/\d+\r\n`))
	m.WriteString("exit\n")
	select {
	case <-s.done:
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("the terminal did not close when the shell exited")
	}
}

// TestExecRefusesBadInput: each mistake an engine or a person can make is
// one line and status 125, before anything runs in the container; with
// --log --log-format json the same line is in the log for the engine.
func TestExecRefusesBadInput(t *testing.T) {
	e := user(t)
	b := startOCIBox(t, e)
	stopped := detached(t, e, e.Rootfs, "true")
	e.Run(t, "", "wait", stopped)
	noArgs := b.process("noargs.json", map[string]any{"cwd": "/"})
	relCwd := b.process("relcwd.json", map[string]any{"args": []string{"true"}, "cwd": "tmp"})
	broken := b.file("broken.json", "{\n  \"args\": [\"true\",\n  \"cwd\": \"/\"\n}\n")
	unreadable := b.file("unreadable.json", `{"args":["true"],"cwd":"/"}`)
	os.Chmod(unreadable, 0)
	notSock := b.file("not-a-socket", "")
	marker := b.file("marker", "")
	for _, c := range []struct {
		flags []string
		id    string
		says  string
	}{
		{[]string{"--process", filepath.Join(b.dir, "missing.json")}, b.id, "missing.json: no such file"},
		{[]string{"--process", unreadable}, b.id, "unreadable.json: permission denied"},
		{[]string{"--process", broken}, b.id, "broken.json: line 3:"},
		{[]string{"--process", noArgs}, b.id, "args is empty"},
		{[]string{"--process", relCwd}, b.id, "not an absolute path"},
		{[]string{"--console-socket", notSock, "-t"}, b.id, "not-a-socket: connecting"},
		{[]string{"-d", "-t"}, b.id, "--console-socket"},
		{[]string{"--console-socket", notSock}, b.id, "needs a terminal"},
		// The caller may hold descriptors of its own (flock passes its lock):
		// far more than it has.
		{[]string{"--preserve-fds", "200"}, b.id, "is not open"},
		{[]string{"--cap", "CAP_NOPE"}, b.id, "unknown capability"},
		{nil, stopped, "not running"},
		{nil, "no-such-container", "no such container"},
	} {
		logFile := filepath.Join(b.dir, "log.json")
		os.Remove(logFile)
		args := append(append([]string{"--log", logFile, "--log-format", "json", "exec"}, c.flags...), c.id, "sh", "-c", "echo ran > "+marker)
		r := e.Run(t, "", args...)
		if r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 || !strings.HasPrefix(r.Stderr, "urun: ") || !strings.Contains(r.Stderr, c.says) {
			t.Errorf("exec %v %s: status %d, stderr %q; want 125 and one line saying %q", c.flags, c.id, r.Status, r.Stderr, c.says)
		}
		var entry struct{ Level, Msg string }
		lb, err := os.ReadFile(logFile)
		if err == nil {
			err = json.Unmarshal(lb, &entry)
		}
		if err != nil || entry.Level != "error" || !strings.Contains(entry.Msg, c.says) {
			t.Errorf("exec %v %s: the log holds %q (%v), want one JSON error line saying %q", c.flags, c.id, lb, err, c.says)
		}
	}
	if got, _ := os.ReadFile(marker); len(got) != 0 {
		t.Errorf("a refused exec ran its command: %q", got)
	}
}

// TestExecIntoAStartedOCIContainer: exec into a container an engine made
// with create and start: refused while it is only created, then the
// engine's exec (--process, --detach, --pid-file) under a subreaper, and
// a plain one with its status.
func TestExecIntoAStartedOCIContainer(t *testing.T) {
	e := user(t)
	bundle, _, _ := ociSetup(t, e, "sleep", "1000")
	ociCleanup(t, e, "exec-oci")
	mustCreate(t, e, "create", "--bundle", bundle, "exec-oci")
	if r := e.Run(t, "", "exec", "exec-oci", "true"); r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "not running") {
		t.Errorf("exec into a created container: status %d, %q; want 125 and one line saying it is not running", r.Status, r.Stderr)
	}
	e.MustRun(t, "start", "exec-oci")
	waitStatus(t, e, "exec-oci", specs.StateRunning)
	if r := e.Run(t, "", "exec", "exec-oci", "sh", "-c", "hostname; exit 4"); r.Status != 4 || r.Stdout != "oci\n" {
		t.Errorf("exec hostname; exit 4: %q (status %d, %q), want oci and 4", r.Stdout, r.Status, r.Stderr)
	}
	b := &ociBox{t: t, e: e, id: "exec-oci", dir: e.TempDir(t)}
	pidFile := filepath.Join(b.dir, "pid")
	p := b.process("p.json", map[string]any{"args": []string{"sh", "-c", "exit 5"}, "cwd": "/", "env": []string{"PATH=/bin"}})
	out, err := toolAsUser(e, subreaper(t, e), pidFile, e.Bin, "exec", "--pid-file", pidFile, "--process", p, "--detach", "exec-oci").Output()
	if f := facts(string(out)); err != nil || f["runtime"] != "0" || f["parent"] != "self" || f["exit"] != "5" {
		t.Errorf("the engine's exec saw %q (%v); want urun's status 0, the pid its child, exit 5", out, err)
	}
	e.MustRun(t, "kill", "exec-oci", "KILL")
	waitStatus(t, e, "exec-oci", specs.StateStopped)
	if r := e.Run(t, "", "exec", "exec-oci", "true"); r.Status != 125 || !strings.Contains(r.Stderr, "not running") {
		t.Errorf("exec into a stopped container: status %d, %q", r.Status, r.Stderr)
	}
}
