package slirp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Names of the files Start keeps in the run's state directory.
const (
	APISocketName = "slirp4netns.sock"
	LogName       = "slirp4netns.log"
	// TapName is the interface slirp4netns creates in the container.
	TapName = "tap0"
)

// ReadyTimeout bounds how long Start waits for slirp4netns to configure
// tap0, and AddHostFwd for the API socket to answer. Starting takes a few
// milliseconds; the bound only keeps a wedged slirp4netns from hanging urun.
var ReadyTimeout = 30 * time.Second

// closeTimeout bounds how long Close waits for slirp4netns to leave after
// its exit fd was closed before it kills it.
const closeTimeout = 5 * time.Second

// Slirp is a running slirp4netns serving one container's network namespace.
type Slirp struct {
	cmd       *exec.Cmd
	net       Network
	apiSocket string // absolute path; "" without --api-socket support
	stateDir  string
	logPath   string
	logR      *os.File // read side of the log, valid after the state dir is gone
	exitW     *os.File // the only write end of the exit pipe; closing it stops slirp4netns
	// procDir is /proc/PID of slirp4netns, opened while it was an unreaped
	// child (nil if that failed); ports are those published (AddHostFwd).
	procDir *os.File
	ports   []PortMapping
	// readyR is the ready pipe until Ready has read it; readyErr its
	// result; pid the container's.
	readyR   *os.File
	readyErr error
	pid      int

	done    chan error    // receives the unexpected exit, then closed
	exited  chan struct{} // closed once the process is reaped
	waitErr error         // cmd.Wait's result, valid after exited

	closing   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Start runs slirp4netns for the network namespace of pid (whose user
// namespace it joins too): it creates and configures tap0 (10.0.2.100/24,
// default route via 10.0.2.2, DNS forwarder 10.0.2.3), and returns once
// the interface is up. stateDir must exist; the API socket and a log go
// there.
//
// slirp4netns ends with urun however urun ends: its --exit-fd is a pipe whose
// only write end urun holds (close-on-exec, so no other child inherits it),
// and Pdeathsig kills it if the thread that started it goes. It runs in its
// own process group so that a Ctrl-C on the terminal reaches the container
// through urun rather than killing the network under it.
//
// Errors are one line saying what to do (tun permission, binary missing,
// slirp4netns's own complaint).
func Start(pid int, stateDir string, n Network) (*Slirp, error) {
	s, err := Spawn(pid, stateDir, n)
	if err != nil {
		return nil, err
	}
	if err := s.Ready(); err != nil {
		return nil, err
	}
	return s, nil
}

// Spawn is Start without the wait for tap0: slirp4netns is running (or
// Spawn failed) and Ready waits for it, so that the caller can do other work
// meanwhile (the init stage's mounts). Close it whether or not Ready is
// called.
func Spawn(pid int, stateDir string, n Network) (*Slirp, error) {
	return spawn(pid, stateDir, n, true)
}

// start is Start with the tun pre-check switchable (for tests).
func start(pid int, stateDir string, n Network, tunCheck bool) (*Slirp, error) {
	s, err := spawn(pid, stateDir, n, tunCheck)
	if err != nil {
		return nil, err
	}
	if err := s.Ready(); err != nil {
		return nil, err
	}
	return s, nil
}

// spawn is Spawn; tests turn the tun pre-check off to see slirp4netns's own
// complaint explained.
func spawn(pid int, stateDir string, n Network, tunCheck bool) (*Slirp, error) {
	if n.Mode != Slirp4netns {
		return nil, fmt.Errorf("slirp.Start: network %q is not slirp4netns", n.Mode)
	}
	f, err := Probe()
	if err != nil {
		return nil, err
	}
	if tunCheck {
		if err := checkTun(); err != nil {
			return nil, err
		}
	}
	stateDir, err = filepath.Abs(stateDir)
	if err != nil {
		return nil, fmt.Errorf("slirp4netns state directory: %w", err)
	}
	s := &Slirp{
		net:      n,
		stateDir: stateDir,
		logPath:  filepath.Join(stateDir, LogName),
		done:     make(chan error, 1),
		exited:   make(chan struct{}),
	}
	if f.APISocket {
		s.apiSocket = filepath.Join(stateDir, APISocketName)
	}
	// The child's fds 3 and 4 are ExtraFiles[0] and [1].
	args, err := buildArgs(f, n, pid, 3, 4, apiSocketArg(s.apiSocket))
	if err != nil {
		return nil, err
	}

	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("slirp4netns ready pipe: %w", err)
	}
	s.pid, s.readyR = pid, readyR
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return nil, fmt.Errorf("slirp4netns exit pipe: %w", err)
	}
	s.exitW = exitW
	logf, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_CLOEXEC, 0o600)
	if err == nil {
		// The caller may remove the state directory once the container
		// runs; this descriptor still reads the log for Done's message.
		s.logR, err = os.Open(s.logPath)
		if err != nil {
			logf.Close()
		}
	}
	if err != nil {
		readyR.Close()
		readyW.Close()
		exitR.Close()
		exitW.Close()
		return nil, fmt.Errorf("slirp4netns log: %w", err)
	}

	cmd := exec.Command(f.Path, args...)
	// Relative API socket path: a sockaddr_un holds 107 bytes, and state
	// directories under $XDG_RUNTIME_DIR can be longer than that.
	cmd.Dir = stateDir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.ExtraFiles = []*os.File{readyW, exitR}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Pdeathsig: syscall.SIGKILL,
		Setpgid:   true,
	}
	if os.Geteuid() == 0 {
		// As root, --enable-sandbox runs in the host's user namespace: it makes
		// only "/" private, pivots, and lazily unmounts the old root, which
		// propagates to every shared mount of the host (/sys/fs/cgroup,
		// /proc/sys/fs/binfmt_misc, ... on a systemd host). A mount namespace
		// of its own first: Go makes "/" recursively private after the
		// unshare. Unprivileged, its namespace belongs to the container's
		// user namespace, where shared mounts are already slaves.
		cmd.SysProcAttr.Unshareflags = syscall.CLONE_NEWNS
	}
	s.cmd = cmd

	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that forked the child exits, not
		// the process: keep this goroutine on its own thread until the
		// child is reaped. The locked thread then exits with the goroutine.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		// Before the Wait below can reap it: the directory is then this
		// process's for good, never a reused pid's.
		if d, err := os.OpenFile("/proc/"+strconv.Itoa(cmd.Process.Pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			s.procDir = d
		}
		started <- nil
		s.waitErr = cmd.Wait()
		if !s.closing.Load() {
			s.done <- fmt.Errorf("slirp4netns (pid %d) exited unexpectedly (%v): %s; the container has lost its network", cmd.Process.Pid, s.waitErr, explain(s.readLog(), pid))
		}
		close(s.done)
		close(s.exited)
	}()
	err = <-started
	// The child has its copies; ours must go so that EOF on the ready pipe
	// means slirp4netns died, and so that only exitW keeps slirp4netns alive.
	readyW.Close()
	exitR.Close()
	logf.Close()
	if err != nil {
		readyR.Close()
		exitW.Close()
		s.logR.Close()
		return nil, fmt.Errorf("starting %s: %w", f.Path, err)
	}
	return s, nil
}

// Ready waits until slirp4netns has configured tap0. On failure it has
// stopped slirp4netns (Close is still safe) and explains why in one line.
func (s *Slirp) Ready() error {
	if s.readyR == nil {
		return s.readyErr
	}
	err := waitReady(s.readyR)
	s.readyR.Close()
	s.readyR = nil
	if err != nil {
		s.stop()
		why := explain(s.readLog(), s.pid)
		s.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.readyErr = fmt.Errorf("slirp4netns did not bring up %s within %v: %s", TapName, ReadyTimeout, why)
		} else {
			s.readyErr = fmt.Errorf("slirp4netns failed: %s", why)
		}
	}
	return s.readyErr
}

func apiSocketArg(abs string) string {
	if abs == "" {
		return ""
	}
	return APISocketName
}

// waitReady reads the byte slirp4netns writes once tap0 is configured.
func waitReady(r *os.File) error {
	if err := r.SetReadDeadline(time.Now().Add(ReadyTimeout)); err != nil {
		return err
	}
	var b [1]byte
	if _, err := r.Read(b[:]); err != nil {
		return err
	}
	return nil
}

// buildArgs is slirp4netns's command line for n and the installed features.
func buildArgs(f Features, n Network, pid, readyFD, exitFD int, apiSocket string) ([]string, error) {
	if !f.Configure || !f.ReadyFD || !f.ExitFD {
		return nil, fmt.Errorf("%s is too old: it lacks --configure, --ready-fd or --exit-fd; install slirp4netns 0.4 or newer", f.Path)
	}
	args := []string{"--configure", "--ready-fd=" + strconv.Itoa(readyFD), "--exit-fd=" + strconv.Itoa(exitFD)}
	switch {
	case f.MTU:
		args = append(args, "--mtu="+strconv.Itoa(n.mtu()))
	case n.MTU != 0:
		return nil, fmt.Errorf("%s has no --mtu option; upgrade slirp4netns or drop mtu=", f.Path)
	}
	if n.CIDR.IsValid() {
		if !f.CIDR {
			return nil, fmt.Errorf("%s has no --cidr option; upgrade slirp4netns or drop cidr=", f.Path)
		}
		args = append(args, "--cidr="+n.CIDR.String())
	}
	if !n.AllowHostLoopback {
		// Refuse rather than silently expose the host's 127.0.0.1.
		if !f.DisableHostLoopback {
			return nil, fmt.Errorf("%s has no --disable-host-loopback, so the container could reach the host's 127.0.0.1; upgrade slirp4netns or pass --network slirp4netns:allow_host_loopback=true", f.Path)
		}
		args = append(args, "--disable-host-loopback")
	}
	if n.EnableIPv6 {
		if !f.EnableIPv6 {
			return nil, fmt.Errorf("%s has no --enable-ipv6; upgrade slirp4netns or drop enable_ipv6=", f.Path)
		}
		args = append(args, "--enable-ipv6")
	}
	if n.OutboundAddr.IsValid() {
		if !f.OutboundAddr {
			return nil, fmt.Errorf("%s has no --outbound-addr; upgrade slirp4netns or drop outbound_addr=", f.Path)
		}
		args = append(args, "--outbound-addr="+n.OutboundAddr.String())
	}
	if n.OutboundAddr6.IsValid() {
		if !f.OutboundAddr6 {
			return nil, fmt.Errorf("%s has no --outbound-addr6; upgrade slirp4netns or drop outbound_addr6=", f.Path)
		}
		args = append(args, "--outbound-addr6="+n.OutboundAddr6.String())
	}
	// Hardening where the version has it: a private mount namespace with
	// nothing in it, and a syscall filter.
	if f.EnableSandbox && !n.NoSandbox {
		args = append(args, "--enable-sandbox")
	}
	if f.EnableSeccomp {
		args = append(args, "--enable-seccomp")
	}
	if apiSocket != "" {
		args = append(args, "--api-socket="+apiSocket)
	}
	return append(args, strconv.Itoa(pid), TapName), nil
}

// Tun messages are exported so that tests and callers can recognise them.
var (
	// ErrTunPermission: /dev/net/tun is not usable by this user.
	ErrTunPermission = errors.New("slirp4netns cannot open /dev/net/tun (\"Failed to open tun socket\": the device is not read-write for this user); fix: `sudo chmod 0666 /dev/net/tun` (what Debian's udev does) or use --network none")
	// ErrTunMissing: the device node does not exist.
	ErrTunMissing = errors.New("/dev/net/tun does not exist: load the tun module (`sudo modprobe tun`) or use --network none")
)

// checkTun opens /dev/net/tun as slirp4netns will. Opening it creates no
// interface (that takes TUNSETIFF), and the kernel checks the same uid on
// the host side as inside the container's user namespace, so this gives the
// clear answer before anything is started.
func checkTun() error {
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	switch {
	case err == nil:
		f.Close()
		return nil
	case errors.Is(err, os.ErrPermission):
		return ErrTunPermission
	case errors.Is(err, os.ErrNotExist):
		return ErrTunMissing
	}
	// Something unusual (ENXIO: module missing): let slirp4netns try and
	// report in its own words.
	return nil
}

// explain turns slirp4netns's output into one line.
func explain(out string, pid int) string {
	switch {
	case strings.Contains(out, "Failed to open tun socket"),
		strings.Contains(out, `/dev/net/tun"): Permission denied`),
		strings.Contains(out, `/dev/net/tun"): Operation not permitted`):
		return ErrTunPermission.Error()
	case strings.Contains(out, `/dev/net/tun"): No such file or directory`):
		return ErrTunMissing.Error()
	case strings.Contains(out, fmt.Sprintf("/proc/%d/ns/", pid)):
		return fmt.Sprintf("the container process %d is gone, so slirp4netns cannot join its namespaces", pid)
	case strings.Contains(out, "setns("):
		return fmt.Sprintf("slirp4netns cannot join the namespaces of process %d: %s", pid, lastLine(out))
	}
	if l := lastLine(out); l != "" {
		return l
	}
	return "no message (see " + LogName + " in the state directory)"
}

// lastLine is the last line of out that says something: not a warning about
// experimental features, not slirp4netns's chatter.
func lastLine(out string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "WARNING:") || strings.HasPrefix(l, "sent tapfd") ||
			strings.HasPrefix(l, "received tapfd") || strings.HasPrefix(l, "api_handler:") ||
			strings.HasPrefix(l, "Starting slirp") || strings.HasPrefix(l, "* ") {
			continue
		}
		return l
	}
	return ""
}

// readLog returns the tail of slirp4netns's output.
func (s *Slirp) readLog() string {
	const tail = 4096
	fi, err := s.logR.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-tail, 0)
	b := make([]byte, fi.Size()-off)
	n, _ := s.logR.ReadAt(b, off)
	return string(b[:n])
}

// Pid is slirp4netns's process id.
func (s *Slirp) Pid() int { return s.cmd.Process.Pid }

// Network is the network slirp4netns serves.
func (s *Slirp) Network() Network { return s.net }

// APISocket is the path of slirp4netns's API socket ("" when the installed
// version has none).
func (s *Slirp) APISocket() string { return s.apiSocket }

// Done receives an error if slirp4netns exits while it should be running;
// it is closed once slirp4netns has exited (after Close, with no error).
func (s *Slirp) Done() <-chan error { return s.done }

// Close stops slirp4netns by closing its exit fd, waits for it (killing it
// if it does not leave in time) so no process or zombie is left, and
// removes its API socket. It is safe to call more than once and after
// slirp4netns died on its own.
func (s *Slirp) Close() error {
	if s.readyR != nil {
		s.readyR.Close()
		s.readyR = nil
	}
	err := s.stop()
	s.logR.Close()
	if s.apiSocket != "" {
		if rerr := os.Remove(s.apiSocket); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = fmt.Errorf("removing slirp4netns API socket: %w", rerr)
		}
	}
	return err
}

// stop ends slirp4netns, at once (kill), or by its exit fd and a wait for
// it; the first call's result is kept.
func (s *Slirp) stop() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		killed := s.kill()
		s.exitW.Close()
		if s.procDir != nil {
			defer s.procDir.Close()
		}
		if killed {
			return
		}
		select {
		case <-s.exited:
		case <-time.After(closeTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
			s.closeErr = fmt.Errorf("slirp4netns (pid %d) did not exit within %v of its exit fd closing; killed it", s.cmd.Process.Pid, closeTimeout)
		}
	})
	return s.closeErr
}
