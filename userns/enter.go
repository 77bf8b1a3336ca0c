package userns

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/urun-dev/urun/internal/hostbin"
	"github.com/urun-dev/urun/internal/wire"
	"golang.org/x/sys/unix"
)

// Why nsenter: a Go process is multi-threaded from its first instruction, and
// the kernel refuses setns(2) into a user namespace (EINVAL) or a mount
// namespace of a multi-threaded process, and Go's SysProcAttr has no setns
// for a child. A helper that is single-threaded at setns time is needed;
// util-linux's nsenter is one, installed wherever newuidmap is, and it forks
// after joining the PID namespace so that its child is in it. What runs in
// the container after nsenter is urun's exec stage, from a sealed copy of
// the stage binary or from a urun binary no container can write
// (sealedStage), never a host file the container could rewrite. The alternative, a urun
// agent kept inside the container, would be a process the container could
// kill or ptrace.
//
// Known window (SECURITY.md): from nsenter's fork into the PID namespace to
// the stage's PR_SET_DUMPABLE, the joining process is visible in the
// container, dumpable, of the container root's uid and with every
// capability of its user namespace, so a container process that wins the
// race can ptrace it. Closing it needs a helper that is non-dumpable before
// its setns (runc's nsexec, in C). Tried and measured not to work: nsenter
// without -p (the stage would fork the command already confined), because a
// process outside the container's PID namespace has no /proc/self in the
// container's /proc, so nsenter cannot execute /proc/self/fd/N.

// EnterOptions say which container to join and how.
type EnterOptions struct {
	// PID is the host pid of the container's PID 1.
	PID int
	// NetNS: the container has a network namespace of its own (not
	// --network host, whose namespace belongs to the host and cannot be
	// joined from a user namespace).
	NetNS bool
	// CgroupPath is the container's cgroup directory on the host ("" when
	// it has no scope): the stage is cloned straight into it
	// (CLONE_INTO_CGROUP), so it never runs in the CLI's cgroup.
	CgroupPath string
	// Join moves the stage (by its host pid) into CgroupPath when the kernel
	// refuses to clone it there (a CLI outside the delegated tree: see
	// Enter); the stage waits for it before it does anything else.
	Join func(pid int) error
	// Config is sent to the stage. Its Stdio is set from Stdin.
	Config *ExecConfig
	// Stdin, Stdout, Stderr are the command's stdio when it has no
	// terminal (nil: /dev/null).
	Stdin, Stdout, Stderr *os.File
	// Detach: the command outlives the CLI (no Pdeathsig on nsenter).
	Detach bool
	// Reparent: nsenter is ended (and reaped) before the command runs, so
	// that the command's parent is the caller's nearest subreaper (conmon,
	// containerd's shim) or init, which then gets its exit: with exec -d,
	// whoever holds the pid must be able to wait for it. Without it,
	// nsenter is the command's parent and exits with its status.
	Reparent bool
	// PreserveFDs are passed to the command as fds 3, 4, ... (runc's
	// --preserve-fds).
	PreserveFDs []*os.File
}

// ExecProcess is a command started in a container by Enter.
type ExecProcess struct {
	cmd *exec.Cmd
	// PID is the command's pid on the host.
	PID int
	// pidfd names the command for signals, whatever pid reuse happens.
	pidfd int
	// Master is the command's terminal master with a terminal, else nil.
	Master *os.File
	stderr chan string
	// reaped: nsenter is gone (Reparent); the command is not this
	// process's to wait for.
	reaped bool
}

// Enter starts the exec stage in the namespaces of the container whose PID 1
// is o.PID, and returns once the stage has exec'd the command (nil) or
// failed: an *InitError with status 126 or 127 for a command that cannot be
// run, 125 otherwise.
func Enter(o EnterOptions) (ep *ExecProcess, err error) {
	nsenter, err := findNsenter()
	if err != nil {
		return nil, err
	}
	// A container of an engine that runs in a user namespace of its own
	// (rootless podman's: the runtime is root there, and the config asks
	// for no new one) shares the caller's: setns(2) refuses to enter the
	// namespace a process is already in (EINVAL), and there is nothing to
	// change in its credentials.
	sameUser, err := sameNamespace(o.PID, "user")
	if err != nil {
		return nil, err
	}
	var creds []string
	if !sameUser {
		if creds, err = enterCredentials(o.PID); err != nil {
			return nil, err
		}
	}
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	bootCLI, bootStage, err := seqpacketPair("exec-boot")
	if err != nil {
		return nil, err
	}
	closers = append(closers, bootCLI, bootStage)
	repCLI, repStage, err := seqpacketPair("exec-report")
	if err != nil {
		return nil, err
	}
	closers = append(closers, repStage)
	// The kernel then attaches the sender's pid to every message, as a pid
	// of urun's PID namespace: the stage's hello names the command.
	if err := unix.SetsockoptInt(int(repCLI.Fd()), unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		repCLI.Close()
		return nil, fmt.Errorf("making the exec report socket: %w", err)
	}
	exe, err := sealedStage()
	if err != nil {
		repCLI.Close()
		return nil, err
	}
	closers = append(closers, exe)
	errR, errW, err := os.Pipe()
	if err != nil {
		repCLI.Close()
		return nil, fmt.Errorf("making the exec stage's error pipe: %w", err)
	}
	closers = append(closers, errW)

	args := []string{"nsenter", "-t", strconv.Itoa(o.PID)}
	// A namespace the container shares with urun is not entered: rootless
	// podman's containers are in podman's user namespace, which urun is in
	// too (setns into one's own user namespace fails with EINVAL), and may
	// share its cgroup namespace, owned by the host's (EPERM).
	kinds := []struct{ flag, ns string }{{"-U", "user"}, {"-m", "mnt"}, {"-p", "pid"}, {"-i", "ipc"}, {"-u", "uts"}, {"-C", "cgroup"}}
	if o.NetNS {
		kinds = append(kinds, struct{ flag, ns string }{"-n", "net"})
	}
	for _, k := range kinds {
		if !sameNS(o.PID, k.ns) {
			args = append(args, k.flag)
		}
	}
	args = append(args, creds...)
	args = append(args, "--")
	args = append(args, execStageArgs(len(o.PreserveFDs))...)
	extra := append(append([]*os.File(nil), o.PreserveFDs...), bootStage, exe)
	c := o.Config
	c.Stdio = !c.Process.Terminal
	if c.Stdio {
		for _, f := range []*os.File{o.Stdin, o.Stdout, o.Stderr} {
			if f == nil {
				if f, err = os.Open(os.DevNull); err != nil {
					repCLI.Close()
					return nil, err
				}
				closers = append(closers, f)
			}
			extra = append(extra, f)
		}
	}
	newCmd := func() *exec.Cmd {
		return &exec.Cmd{
			Path:       nsenter,
			Args:       args,
			Env:        stageEnv,
			Stderr:     errW,
			ExtraFiles: extra,
			SysProcAttr: &syscall.SysProcAttr{
				// Not the caller's terminal's session: the command
				// cannot push keystrokes into it (TIOCSTI), and with -t
				// it makes a session of its own around its terminal.
				Setsid: true,
			},
		}
	}
	cmd := newCmd()
	c.WaitGo = o.Reparent
	if o.CgroupPath != "" {
		cg, err := os.OpenFile(o.CgroupPath, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			repCLI.Close()
			return nil, fmt.Errorf("opening the container's cgroup %s: %w", o.CgroupPath, err)
		}
		closers = append(closers, cg)
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(cg.Fd())
	}
	join := false
	err = cmd.Start()
	if err != nil && o.CgroupPath != "" && o.Join != nil && (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)) {
		// cgroup v2 lets a process move (or be cloned) only within a
		// subtree whose common ancestor it may write: a CLI in a login
		// session's scope is outside the user manager's delegated tree
		// that holds the container's scope. The stage then waits after
		// its hello while the manager, which may, moves it (Join).
		cmd = newCmd()
		join = true
		c.WaitGo = true
		err = cmd.Start()
	}
	if err != nil {
		repCLI.Close()
		return nil, fmt.Errorf("starting nsenter: %w", err)
	}
	errW.Close()
	stderr := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(errR, 64<<10))
		errR.Close()
		stderr <- string(b)
	}()
	started := &ExecProcess{cmd: cmd, pidfd: -1, stderr: stderr}
	ep = started
	defer func() {
		if err != nil {
			repCLI.Close()
			started.kill()
		}
	}()
	b, err := wire.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding the exec config: %w", err)
	}
	if err := unix.Sendmsg(int(bootCLI.Fd()), b, unix.UnixRights(int(repStage.Fd())), nil, 0); err != nil {
		return nil, fmt.Errorf("sending the exec config: %w", err)
	}
	// Only the stage (and nsenter) hold what was theirs now: the stage's
	// exit or exec closes its report socket, which is all the CLI reads.
	for _, c := range closers {
		c.Close()
	}
	closers = nil

	pid, err := ep.hello(repCLI)
	if err != nil {
		return nil, err
	}
	ep.PID = pid
	if join {
		if err := o.Join(pid); err != nil {
			return nil, fmt.Errorf("moving the exec'd process into the container's cgroup: %w", err)
		}
	}
	if o.Reparent {
		if err := ep.endNsenter(); err != nil {
			return nil, err
		}
	}
	if c.WaitGo {
		if _, err := repCLI.Write([]byte(execGo)); err != nil {
			return nil, fmt.Errorf("starting the exec stage: %w", err)
		}
	}
	// A stage that has already failed (or a command that has already
	// ended) may be gone: its report says what happened, and there is
	// nothing left to signal.
	if ep.pidfd, err = unix.PidfdOpen(pid, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return nil, fmt.Errorf("opening the exec'd process %d: %w", pid, err)
	}
	if err := ep.untilExec(repCLI, c.Process.Terminal); err != nil {
		return nil, err
	}
	repCLI.Close()
	return ep, nil
}

// endNsenter kills and reaps nsenter, which waits for the stage it forked
// and has nothing left to do: the kernel gives the stage to the nearest
// subreaper above nsenter (this CLI is none), and that is the caller's, as
// with runc's exec -d, whose process is a child of runc until runc exits.
// It runs while the stage waits for its go, so the command cannot end (and
// be reaped by nsenter) first.
func (ep *ExecProcess) endNsenter() error {
	if err := ep.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("ending nsenter: %w", err)
	}
	// Not waiting for nsenter's stderr to close: the stage holds it as its
	// own stderr until it sets up the command's stdio.
	_ = ep.cmd.Wait()
	ep.reaped = true
	return nil
}

// hello reads the stage's first message, whose credentials give its pid. No
// hello means nsenter failed before the stage ran: its message says why.
func (ep *ExecProcess) hello(rep *os.File) (int, error) {
	buf := make([]byte, 64)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	n, oobn, _, _, err := unix.Recvmsg(int(rep.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	for err == unix.EINTR {
		n, oobn, _, _, err = unix.Recvmsg(int(rep.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	}
	if err == nil && n == 0 {
		err = io.EOF
	}
	if err != nil {
		return 0, ep.nsenterFailed()
	}
	if string(buf[:n]) != execHello {
		return 0, fmt.Errorf("the exec stage sent %q instead of its hello", buf[:n])
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_CREDENTIALS {
			if cr, err := unix.ParseUnixCredentials(&m); err == nil && cr.Pid > 0 {
				return int(cr.Pid), nil
			}
		}
	}
	return 0, fmt.Errorf("the exec stage's hello came without its pid (%v)", err)
}

// untilExec reads the stage's messages until its report socket closes (the
// command runs) or it reports an error. With a terminal, the master comes
// first.
func (ep *ExecProcess) untilExec(rep *os.File, terminal bool) error {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*4))
	for {
		n, oobn, flags, _, err := unix.Recvmsg(int(rep.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading the exec stage's report: %w", err)
		}
		fds := rights(oob[:oobn])
		switch {
		case n == 0 && oobn == 0:
			if terminal && ep.Master == nil {
				return errors.New("the exec stage ended without sending its terminal")
			}
			return nil
		case len(fds) > 0:
			if !terminal || ep.Master != nil || len(fds) != 1 || flags&unix.MSG_CTRUNC != 0 {
				for _, fd := range fds {
					unix.Close(fd)
				}
				return errors.New("the exec stage sent descriptors it was not asked for")
			}
			ep.Master = os.NewFile(uintptr(fds[0]), "exec-terminal")
		case n > 0 && buf[0] == '{':
			return decodeError(buf[:n])
		default:
			return fmt.Errorf("the exec stage sent a malformed report (%d bytes)", n)
		}
	}
}

// rights returns the descriptors of SCM_RIGHTS messages in oob.
func rights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_RIGHTS {
			if f, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, f...)
			}
		}
	}
	return fds
}

// nsenterFailed waits for an nsenter that ended before the stage said hello
// and turns its message into urun's one line.
func (ep *ExecProcess) nsenterFailed() error {
	_ = ep.cmd.Wait()
	msg := strings.TrimSpace(<-ep.stderr)
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	if msg == "" {
		msg = ep.cmd.ProcessState.String()
	}
	return fmt.Errorf("entering the container's namespaces failed (is it still running?): %s", msg)
}

// Signal sends sig to the command.
func (ep *ExecProcess) Signal(sig syscall.Signal) error {
	if ep.pidfd < 0 {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(ep.pidfd, sig, nil, 0)
}

// Wait waits for the command through nsenter, which exits with its status
// or kills itself with the signal that killed it, and returns the status in
// shell terms (128+N for signal N).
func (ep *ExecProcess) Wait() (int, error) {
	defer ep.release()
	if ep.reaped {
		return StatusError, errors.New("the exec'd command was handed to the caller's subreaper: urun cannot wait for it")
	}
	err := ep.cmd.Wait()
	<-ep.stderr
	st := ep.cmd.ProcessState
	if st == nil {
		return StatusError, fmt.Errorf("waiting for the exec'd command: %w", err)
	}
	ws := st.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

// Release lets the command run on without the CLI (exec -d): nsenter is
// left to its own (its parent becomes the init process or a subreaper).
func (ep *ExecProcess) Release() {
	if !ep.reaped {
		_ = ep.cmd.Process.Release()
	}
	ep.release()
}

func (ep *ExecProcess) release() {
	if ep.pidfd >= 0 {
		unix.Close(ep.pidfd)
		ep.pidfd = -1
	}
}

// Kill ends a command that Enter started when the caller cannot go on with
// it (its pid file or console socket failed).
func (ep *ExecProcess) Kill() { ep.kill() }

// kill ends a stage that failed half-way.
func (ep *ExecProcess) kill() {
	if ep.pidfd >= 0 {
		_ = ep.Signal(unix.SIGKILL)
	}
	if !ep.reaped {
		_ = ep.cmd.Process.Kill()
		_ = ep.cmd.Wait()
	}
	if ep.Master != nil {
		ep.Master.Close()
	}
	ep.release()
}

func findNsenter() (string, error) {
	p, err := hostbin.Find("nsenter")
	if err != nil {
		return "", errors.New("urun exec needs nsenter (util-linux), which is not installed: install util-linux")
	}
	return p, nil
}

// enterCredentials chooses nsenter's credential options. The stage must be
// root of the container's user namespace when nsenter execs it: execve of a
// uid that is not root there (and a binary with no file capabilities)
// clears every capability, and the stage needs them to change user and set
// the container's capability set. With urun's default maps the caller's uid
// and gid are already 0 inside: --preserve-credentials keeps them and skips
// nsenter's setgroups, which a one-id map denies. With keep-id the caller is
// itself inside; nsenter's default then switches to 0:0, which must be
// mapped.
func enterCredentials(pid int) ([]string, error) {
	uids, err := readIDMap(fmt.Sprintf("/proc/%d/uid_map", pid))
	if err != nil {
		return nil, err
	}
	gids, err := readIDMap(fmt.Sprintf("/proc/%d/gid_map", pid))
	if err != nil {
		return nil, err
	}
	uid, uok := uids.inside(uint32(os.Getuid()))
	gid, gok := gids.inside(uint32(os.Getgid()))
	if uok && gok && uid == 0 && gid == 0 {
		return []string{"--preserve-credentials"}, nil
	}
	if !uids.maps(0) || !gids.maps(0) {
		return nil, errors.New("the container maps no root (keep-id without subordinate ids): urun exec cannot give a process its capabilities there; ask an admin for /etc/subuid and /etc/subgid ranges")
	}
	return []string{"-S", "0", "-G", "0"}, nil
}

// sameNamespace reports whether the process pid is in this process's
// namespace of type ns (a /proc/PID/ns name).
func sameNamespace(pid int, ns string) (bool, error) {
	var self, other unix.Stat_t
	if err := unix.Stat("/proc/self/ns/"+ns, &self); err != nil {
		return false, fmt.Errorf("reading urun's %s namespace: %w", ns, err)
	}
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, ns), &other); err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
			return false, errors.New("the container's PID 1 is gone: the container is not running")
		}
		return false, fmt.Errorf("reading the container's %s namespace: %w", ns, err)
	}
	return self.Dev == other.Dev && self.Ino == other.Ino, nil
}

// idMap is a /proc/PID/uid_map or gid_map: lines "inside outside count".
type idMap [][3]uint64

func readIDMap(path string) (idMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return nil, errors.New("the container's PID 1 is gone: the container is not running")
		}
		return nil, fmt.Errorf("reading the container's id map: %w", err)
	}
	var m idMap
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var l [3]uint64
		ok := true
		for i, f := range strings.Fields(sc.Text()) {
			v, err := strconv.ParseUint(f, 10, 32)
			if i > 2 || err != nil {
				ok = false
				break
			}
			l[i] = v
		}
		if ok {
			m = append(m, l)
		}
	}
	return m, nil
}

// inside maps a host id to the namespace's.
func (m idMap) inside(host uint32) (uint32, bool) {
	for _, l := range m {
		if uint64(host) >= l[1] && uint64(host) < l[1]+l[2] {
			return uint32(l[0] + uint64(host) - l[1]), true
		}
	}
	return 0, false
}

// maps reports whether the namespace's id is mapped.
func (m idMap) maps(id uint32) bool {
	for _, l := range m {
		if uint64(id) >= l[0] && uint64(id) < l[0]+l[2] {
			return true
		}
	}
	return false
}

func seqpacketPair(name string) (a, b *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("making the %s socket: %w", name, err)
	}
	return os.NewFile(uintptr(fds[0]), name), os.NewFile(uintptr(fds[1]), name), nil
}

// sameNS reports whether process pid is in this process's namespace of the
// kind given (a /proc/PID/ns name); false when either cannot be read.
func sameNS(pid int, kind string) bool {
	var a, b unix.Stat_t
	if unix.Stat("/proc/self/ns/"+kind, &a) != nil || unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/"+kind, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}
