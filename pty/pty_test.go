package pty

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/urun-dev/urun/pty/ptytest"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

func TestMain(m *testing.M) {
	runHelper()
	os.Exit(m.Run())
}

func TestOpenGivesAConnectedPair(t *testing.T) {
	master, slave, err := Open("/dev/ptmx")
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	if !strings.HasPrefix(slave.Name(), "/dev/pts/") {
		t.Errorf("slave name %q, want /dev/pts/N", slave.Name())
	}
	if !IsTerminal(slave) || !IsTerminal(master) {
		t.Errorf("IsTerminal(slave)=%v IsTerminal(master)=%v, want true", IsTerminal(slave), IsTerminal(master))
	}
	for _, f := range []*os.File{master, slave} {
		flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("%s is not close-on-exec (flags %#x, %v)", f.Name(), flags, err)
		}
	}
	// The slave's name is a path to the same device.
	var a, b unix.Stat_t
	if err := unix.Fstat(int(slave.Fd()), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat(slave.Name(), &b); err != nil {
		t.Fatal(err)
	}
	if a.Rdev != b.Rdev {
		t.Errorf("%s is device %#x, the slave is %#x", slave.Name(), b.Rdev, a.Rdev)
	}
	if err := SetSize(master, 33, 111); err != nil {
		t.Fatal(err)
	}
	if r, c, err := GetSize(slave); err != nil || r != 33 || c != 111 {
		t.Errorf("GetSize(slave) = %d, %d, %v; want 33, 111", r, c, err)
	}
	if _, err := slave.Write([]byte("hi\n")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 16)
	n, err := master.Read(got)
	if err != nil || string(got[:n]) != "hi\r\n" {
		t.Errorf("master read %q, %v; want %q", got[:n], err, "hi\r\n")
	}
}

func TestIsTerminalOnAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(r) || IsTerminal(nil) {
		t.Error("a pipe or nil is not a terminal")
	}
}

func socketpair(t *testing.T) (a, b *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b = os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "b")
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestSendRecvFd(t *testing.T) {
	a, b := socketpair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := SendFd(a, w); err != nil {
		t.Fatal(err)
	}
	w.Close() // the received copy must keep the pipe open on its own
	got, err := RecvFd(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name() != w.Name() {
		t.Errorf("received name %q, want %q", got.Name(), w.Name())
	}
	flags, err := unix.FcntlInt(got.Fd(), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("received descriptor is not close-on-exec (flags %#x, %v)", flags, err)
	}
	if _, err := got.Write([]byte("through")); err != nil {
		t.Fatal(err)
	}
	got.Close()
	data, err := io.ReadAll(r)
	if err != nil || string(data) != "through" {
		t.Errorf("read %q, %v; want %q", data, err, "through")
	}
}

func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestRecvFdRefusesTwoDescriptors(t *testing.T) {
	a, b := socketpair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := unix.Sendmsg(int(a.Fd()), []byte("x"), unix.UnixRights(int(r.Fd()), int(w.Fd())), nil, 0); err != nil {
		t.Fatal(err)
	}
	before := openFds(t)
	if f, err := RecvFd(b); err == nil {
		f.Close()
		t.Fatal("RecvFd accepted two descriptors")
	} else if !strings.Contains(err.Error(), "got 2 descriptors") {
		t.Errorf("error %q does not say what was wrong", err)
	}
	if after := openFds(t); after != before {
		t.Errorf("%d descriptors open after the refusal, %d before: the received ones leaked", after, before)
	}
}

func TestRecvFdWhenThePeerClosesWithoutSending(t *testing.T) {
	a, b := socketpair(t)
	a.Close()
	if f, err := RecvFd(b); err == nil {
		f.Close()
		t.Fatal("RecvFd returned a file from a closed peer")
	} else if !strings.Contains(err.Error(), "without sending") {
		t.Errorf("error %q does not say the peer closed", err)
	}
}

func TestRecvFdRefusesAMessageWithoutDescriptor(t *testing.T) {
	a, b := socketpair(t)
	if _, err := a.Write([]byte("no fd")); err != nil {
		t.Fatal(err)
	}
	if f, err := RecvFd(b); err == nil {
		f.Close()
		t.Fatal("RecvFd returned a file from a message without one")
	}
}

// oddRights is an SCM_RIGHTS message whose payload is 5 bytes: not a whole
// number of descriptors (x/sys's parser indexes past it).
func oddRights() []byte {
	b := unix.UnixRights(3, 4)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.SetLen(unix.CmsgLen(5))
	return b
}

func TestParseRightsRefusesAPartialDescriptor(t *testing.T) {
	if fds, err := parseRights(oddRights()); err == nil {
		t.Fatalf("a 5-byte SCM_RIGHTS payload parsed as %v", fds)
	}
}

// FuzzParseRights feeds arbitrary control-message bytes, which come from
// the container (untrusted), to the parser: it must never panic.
func FuzzParseRights(f *testing.F) {
	f.Add(unix.UnixRights(3))
	f.Add(unix.UnixRights(3, 4, 5))
	f.Add([]byte{})
	f.Add(make([]byte, unix.CmsgSpace(4)-1))
	f.Add(oddRights())
	f.Fuzz(func(t *testing.T, oob []byte) {
		fds, err := parseRights(oob)
		if err == nil && len(oob) < unix.CmsgSpace(0) && len(fds) > 0 {
			t.Errorf("descriptors %v from %d bytes, too short for a header", fds, len(oob))
		}
	})
}

// TestSessionDrainsEverything writes more than the pty buffers hold and
// closes the slave at once: Wait must return only after the last byte.
func TestSessionDrainsEverything(t *testing.T) {
	master, slave, err := Open("/dev/ptmx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil { // no \n -> \r\n
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	read := make(chan error)
	go func() { _, err := io.Copy(&got, outR); read <- err }()

	s, err := Start(master, nil, outW)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<17) // 2 MiB
	if _, err := slave.Write(want); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	outW.Close()
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("relayed %d bytes, want %d (equal prefix %d)", got.Len(), len(want), commonPrefix(got.Bytes(), want))
	}
}

func commonPrefix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// TestSessionCloseInterruptsABlockedRelay: a container that neither reads
// nor exits must not keep Close from returning (error paths).
func TestSessionCloseInterruptsABlockedRelay(t *testing.T) {
	master, slave, err := Open("/dev/ptmx")
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		t.Fatal(err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inW.Close()
	s, err := Start(master, inR, nil)
	if err != nil {
		t.Fatal(err)
	}
	// More input than the terminal buffers: the relay's write to the
	// master blocks because nobody reads the slave.
	go inW.Write(make([]byte, 4<<20))
	for {
		n, err := unix.IoctlGetInt(int(slave.Fd()), unix.TIOCINQ)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		runtime.Gosched()
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	inR.Close()
}

// TestSessionHangsUpWithTheUserTerminal: when the user's terminal goes
// away, the container's terminal hangs up too (its reader sees the end)
// and the session ends.
func TestSessionHangsUpWithTheUserTerminal(t *testing.T) {
	outerMaster, outerSlave, err := Open("/dev/ptmx")
	if err != nil {
		t.Fatal(err)
	}
	defer outerSlave.Close()
	master, slave, err := Open("/dev/ptmx")
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	s, err := Start(master, outerSlave, outerSlave)
	if err != nil {
		t.Fatal(err)
	}
	outerMaster.Close() // the terminal emulator's window is closed
	got := make(chan error, 1)
	go func() {
		b := make([]byte, 16)
		for {
			n, err := slave.Read(b)
			if n == 0 || err != nil {
				got <- err
				return
			}
		}
	}()
	select {
	case err := <-got:
		t.Logf("the container's terminal reads %v after the hangup", err)
	case <-time.After(time.Minute):
		t.Fatal("the container's terminal did not hang up with the user's")
	}
	// The user's terminal is gone, so restoring its mode may fail; Wait
	// must return all the same.
	_ = s.Wait()
}

// --- interactive tests through real terminals -------------------------

// shell is an interactive shell run through the relay helper on a console.
type shell struct {
	t       *testing.T
	c       *ptytest.Console
	cmd     *exec.Cmd
	before  unix.Termios // the console's mode before the relay started
	ownPts  bool
	tempDir string
}

const prompt = "urun$ "

// shellPath is the shell the tests drive: busybox ash (what the rootfs has)
// when installed, else the host's /bin/sh.
func shellArgv(t *testing.T) []string {
	if p, err := exec.LookPath("busybox"); err == nil {
		return []string{p, "sh"}
	}
	t.Log("busybox not found (apt-get install busybox-static); using /bin/sh")
	return []string{"/bin/sh", "-i"}
}

var modes = []struct {
	name   string
	ownPts bool
}{
	{"host-devpts", false},
	{"own-devpts", true},
}

// forEachMode runs fn with the container side on the host's devpts and, in
// new user and mount namespaces, on a devpts instance of its own (what the
// container has).
func forEachMode(t *testing.T, fn func(t *testing.T, ownPts bool)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { fn(t, m.ownPts) })
	}
}

func startRelay(t *testing.T, c *ptytest.Console, ownPts bool, env []string, argv ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, argv...)
	cmd.Env = helperEnv(append([]string{helperRole + "=relay"}, env...)...)
	if ownPts {
		cmd.Env = append(cmd.Env, helperOwnPts+"=1")
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Slave, c.Slave, c.Slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

func newShell(t *testing.T, ownPts bool, extraEnv ...string) *shell {
	t.Helper()
	if ownPts {
		requireUserns(t)
	}
	c := ptytest.New(t, 33, 111)
	sh := &shell{t: t, c: c, before: c.Termios(), ownPts: ownPts, tempDir: t.TempDir()}
	env := append([]string{"PS1=" + prompt, "ENV=", "HOME=" + sh.tempDir, "TERM=xterm"}, extraEnv...)
	sh.cmd = startRelay(t, c, ownPts, env, shellArgv(t)...)
	c.Expect(prompt)
	return sh
}

// requireUserns skips when this kernel or user may not create user
// namespaces (the own-devpts mode needs one).
func requireUserns(t *testing.T) {
	t.Helper()
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	if err := cmd.Run(); err != nil {
		t.Skipf("SKIP: cannot create a user namespace here (%v): the own-devpts mode needs one", err)
	}
}

// run types a command line, returns its output (what came before the next
// prompt, from the first line break on: the line itself is the echo).
func (sh *shell) run(line string) string {
	sh.t.Helper()
	sh.c.Send(line + "\r")
	out := sh.c.Expect(prompt)
	if i := strings.Index(out, "\r\n"); i >= 0 {
		return out[i+2:]
	}
	return out
}

// exit types `exit N`, waits for the relay and checks its status and the
// restored terminal mode.
func (sh *shell) exit(code int) {
	sh.t.Helper()
	sh.c.Send(fmt.Sprintf("exit %d\r", code))
	sh.waitExit(code)
}

func (sh *shell) waitExit(code int) {
	sh.t.Helper()
	err := sh.cmd.Wait()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		sh.t.Fatal(err)
	}
	if got != code {
		sh.t.Errorf("relay exited with %d, want %d; screen:\n%q", got, code, sh.c.Output())
	}
	sh.checkRestored()
	sh.c.CloseSlave()
	sh.c.Drain()
}

func (sh *shell) checkRestored() {
	sh.t.Helper()
	if after := sh.c.Termios(); after != sh.before {
		sh.t.Errorf("terminal mode not restored:\nbefore %+v\nafter  %+v", sh.before, after)
	}
}

func TestShellPromptRawModeAndTty(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		sh := newShell(t, ownPts)
		// While the container runs, the user's terminal is raw: no echo,
		// no line editing, no signals of its own.
		if tio := sh.c.Termios(); tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 {
			t.Errorf("the outer terminal is not raw during the session: lflag %#x", tio.Lflag)
		}
		out := sh.run("tty")
		m := regexp.MustCompile(`^(/dev/pts/\d+)\r\n$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("tty printed %q, want /dev/pts/N", out)
		}
		if ownPts && m[1] != "/dev/pts/0" {
			// A fresh devpts instance numbers from 0: anything else is the
			// host's instance.
			t.Errorf("tty in the own devpts instance is %s, want /dev/pts/0", m[1])
		}
		// The command is a session leader whose controlling terminal is
		// this one (job control needs both).
		if got := sh.run(`ps -o pid= -o sid= -o tty= -p $$ 2>/dev/null || echo "$$ $(cut -d' ' -f6 /proc/$$/stat)"`); !sessionLeader(got) {
			t.Errorf("the shell is not a session leader: %q", got)
		}
		if got := sh.run("stty size"); got != "33 111\r\n" {
			t.Errorf("stty size = %q, want %q (the outer size)", got, "33 111\r\n")
		}
		sh.exit(0)
	})
}

// sessionLeader reads "PID SID ..." and reports PID == SID.
func sessionLeader(out string) bool {
	f := strings.Fields(out)
	return len(f) >= 2 && f[0] == f[1]
}

func TestShellFollowsResize(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		sh := newShell(t, ownPts)
		if got := sh.run("stty size"); got != "33 111\r\n" {
			t.Errorf("stty size = %q before the resize", got)
		}
		sh.c.Resize(50, 132)
		// SIGWINCH reaches the relay asynchronously: a command typed right
		// after the resize may run before the relay has copied the size,
		// as it would for a person. Ask again until the new size shows.
		var got string
		for i := 0; i < 100 && got != "50 132\r\n"; i++ {
			got = sh.run("stty size")
		}
		if got != "50 132\r\n" {
			t.Errorf("stty size = %q after the resize, want %q", got, "50 132\r\n")
		}
		sh.exit(0)
	})
}

// waitingJob is a command line whose process prints "ready" itself and
// then reads the terminal forever. Printed by the exec'd process, "ready"
// means that the shell has made it the foreground process group, has left
// its line editor (cooked mode, ISIG on) and has reset the job's signals: a
// ^C sent once "ready" shows reaches it. A shell in between would not do:
// `sh -c 'echo ready; exec sleep 1000'` ignores SIGQUIT and catches SIGINT
// until its exec, so a ^\ arriving just then is lost.
const waitingJob = `awk 'BEGIN { print "re" "ady"; fflush(); while ((getline line) > 0) {} }'` + "\r"

// tickingJob prints tick1, tick2, ... a few times a second for a while,
// then ends: its output shows whether it runs.
const tickingJob = `sh -c 'i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo ti""ck$i; sleep 0.1; done'` + "\r"

func TestShellCtrlCAndCtrlBackslashReachTheForegroundJob(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		sh := newShell(t, ownPts)
		sh.c.Send(waitingJob)
		sh.c.Expect("ready\r\n")
		sh.c.Send("\x03")
		sh.c.Expect(prompt)
		if got := sh.run("echo $?"); got != "130\r\n" {
			t.Errorf("status of sleep after ^C = %q, want 130 (SIGINT)", got)
		}
		sh.c.Send(waitingJob)
		sh.c.Expect("ready\r\n")
		sh.c.Send("\x1c")
		sh.c.Expect(prompt)
		if got := sh.run("echo $?"); got != "131\r\n" {
			t.Errorf("status of sleep after ^\\ = %q, want 131 (SIGQUIT)", got)
		}
		// The shell lives on, and so does the relay.
		if got := sh.run("echo $((40+2))"); got != "42\r\n" {
			t.Errorf("the shell after ^C answered %q", got)
		}
		sh.exit(0)
	})
}

func TestShellCtrlZAndFg(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		sh := newShell(t, ownPts)
		sh.c.Send(tickingJob)
		sh.c.Expect("tick1\r\n")
		sh.c.Send("\x1a")
		sh.c.Expect(prompt)
		if got := sh.run("jobs"); !strings.Contains(got, "Stopped") || !strings.Contains(got, "while") {
			t.Errorf("jobs after ^Z = %q, want the job stopped", got)
		}
		// fg resumes it in the foreground: ticks again, then the prompt
		// once it ends (not before: fg waits for it).
		sh.c.Send("fg\r")
		sh.c.ExpectRegexp(regexp.MustCompile(`tick\d+\r\n`))
		sh.c.Expect("tick50\r\n")
		sh.c.Expect(prompt)
		if got := sh.run("jobs; echo d''one"); got != "done\r\n" {
			t.Errorf("jobs after fg = %q, want no job", got)
		}
		sh.exit(0)
	})
}

func TestShellExitStatusAndRestore(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		sh := newShell(t, ownPts)
		sh.exit(3) // checks the status and the byte-for-byte restore
	})
}

func TestRelayRestoresOnSIGTERM(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		sh := newShell(t, ownPts)
		if tio := sh.c.Termios(); tio.Lflag&unix.ICANON != 0 {
			t.Fatal("the outer terminal is not raw during the session")
		}
		if err := sh.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		sh.waitExit(128 + int(syscall.SIGTERM))
	})
}

func checkSeq(t *testing.T, out string, n int) {
	t.Helper()
	want := make([]string, n)
	for i := range want {
		want[i] = strconv.Itoa(i + 1)
	}
	wantText := strings.Join(want, "\r\n") + "\r\n"
	if out != wantText {
		lines := strings.Split(out, "\r\n")
		last := ""
		if len(lines) >= 2 {
			last = lines[len(lines)-2]
		}
		t.Errorf("output of seq 1 %d: %d bytes, %d lines, last line %q; want %d bytes ending in %d",
			n, len(out), len(lines)-1, last, len(wantText), n)
	}
}

func TestShellLargeOutputArrivesWhole(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		sh := newShell(t, ownPts)
		checkSeq(t, sh.run("seq 1 100000"), 100000)
		sh.exit(0)
	})
}

// TestOutputIsFlushedWhenTheContainerExits: the command writes and exits at
// once; the relay must still deliver the last line.
func TestOutputIsFlushedWhenTheContainerExits(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		if ownPts {
			requireUserns(t)
		}
		c := ptytest.New(t, 24, 80)
		before := c.Termios()
		cmd := startRelay(t, c, ownPts, nil, "/bin/sh", "-c", "seq 1 100000")
		if err := cmd.Wait(); err != nil {
			t.Fatalf("relay: %v", err)
		}
		if after := c.Termios(); after != before {
			t.Errorf("terminal mode not restored:\nbefore %+v\nafter  %+v", before, after)
		}
		c.CloseSlave()
		checkSeq(t, c.Drain(), 100000)
	})
}

func TestShellPasteOfOneMiBArrivesWhole(t *testing.T) {
	forEachMode(t, func(t *testing.T, ownPts bool) {
		sh := newShell(t, ownPts)
		// Lines, as a paste has: a canonical-mode terminal holds at most
		// 4095 bytes of one line.
		var paste bytes.Buffer
		for i := 0; paste.Len() < 1<<20; i++ {
			fmt.Fprintf(&paste, "%07d %s\n", i, strings.Repeat(string(rune('a'+i%26)), 55))
		}
		file := filepath.Join(sh.tempDir, "pasted")
		sh.c.Send("echo re''ady; cat >" + file + "\r")
		sh.c.Expect("ready\r\n")
		sh.c.Send(paste.String())
		sh.c.Send("\x04")
		sh.c.Expect(prompt)
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, paste.Bytes()) {
			t.Errorf("cat received %d bytes, want %d (equal prefix %d)", len(got), paste.Len(), commonPrefix(got, paste.Bytes()))
		}
		sh.exit(0)
	})
}
