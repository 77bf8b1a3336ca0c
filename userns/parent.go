package userns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/internal/trace"
	"github.com/urun-dev/urun/internal/wire"
	"golang.org/x/sys/unix"
)

// StartOptions says how to start the init stage.
type StartOptions struct {
	Stdin, Stdout, Stderr *os.File
	// NetNS gives the container its own network namespace; used only
	// when Namespaces is nil (then the container gets new user, PID, UTS,
	// mount and IPC namespaces, and a network one with NetNS).
	NetNS bool
	// Namespaces, when not nil, are the spec's: new ones are cloned, those
	// with a path joined (see nsPlan). Without a new user namespace the
	// caller must be root (of the host or of its own user namespace).
	Namespaces []specs.LinuxNamespace
	// ConsoleSocket, if set, is the init stage's end of a Unix socket: the
	// stage creates the container's terminal and sends its master back on
	// it (package pty) just before it execs the command.
	ConsoleSocket *os.File
	// Maps are the id maps the caller writes once the stage is started,
	// unless Process.Mapped says they are written already (an early start,
	// see StartEarly, which is taken only with the same maps).
	Maps *idmap.Maps
}

// Process is a started init stage, blocked until Release.
type Process struct {
	cmd *exec.Cmd
	// threadDone lets the thread that forked the stage exit (nil: the
	// caller's own thread forked it).
	threadDone chan struct{}
	threadOnce sync.Once
	// UserNS: the stage has a new user namespace, whose maps the caller
	// writes before Release.
	UserNS bool
	cfgW   *os.File
	errR   *os.File
	// consoleFd is the console socket's fd in the stage, 0 without one.
	consoleFd int
	// PID is the init stage's pid on the host; it becomes the command's pid.
	PID int
	// Mapped: the id maps of StartOptions.Maps are written already.
	Mapped bool
}

// Start clones the init stage in new user, PID, UTS, mount, IPC and (unless
// NetNS is false) network namespaces. The kernel creates the user namespace
// first and makes it the owner of the others. The stage blocks on its config
// pipe until Release, so the parent can map ids and attach cgroups and network
// before anything in it needs them.
//
// The caller's OS thread must stay locked (runtime.LockOSThread) and alive for
// as long as the container runs: Pdeathsig fires when the thread that started
// the child exits, not the process.
func Start(o StartOptions) (*Process, error) {
	if p := takeEarly(o); p != nil {
		return p, nil
	}
	return start(o)
}

func start(o StartOptions) (*Process, error) {
	plan := nsPlan{flags: unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC, userNS: true}
	if o.NetNS {
		plan.flags |= unix.CLONE_NEWNET
	}
	if o.Namespaces != nil {
		var err error
		if plan, err = planNamespaces(o.Namespaces); err != nil {
			return nil, err
		}
		if !plan.userNS && os.Geteuid() != 0 {
			return nil, errors.New("the config has no user namespace, which only root can run: add {\"type\": \"user\"} to linux.namespaces with uidMappings and gidMappings")
		}
	}
	flags := plan.flags
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("making the config pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		cfgR.Close()
		cfgW.Close()
		return nil, fmt.Errorf("making the error pipe: %w", err)
	}
	// fail closes both pipes' ends on the way out before the clone.
	fail := func(err error) (*Process, error) {
		cfgR.Close()
		cfgW.Close()
		errR.Close()
		errW.Close()
		return nil, err
	}
	exe, err := takeSealed()
	if err != nil {
		return fail(err)
	}
	trace.Mark("sealed copy of the stage taken")
	// The stage holds only the sealed copy's mapping once it runs; its own
	// copy of the fd it closes at once (and it would close on exec anyway).
	defer exe.Close()
	extra := []*os.File{cfgR, errW}
	consoleFd := 0
	if o.ConsoleSocket != nil {
		consoleFd = fdConfig + len(extra)
		extra = append(extra, o.ConsoleSocket)
	}
	exeFd := fdConfig + len(extra)
	extra = append(extra, exe)
	path, args := "/proc/self/fd/"+strconv.Itoa(exeFd), []string{"urun-init", initArg, strconv.Itoa(exeFd)}
	if plan.mountPath != "" {
		nsenter, err := findNsenter()
		if err != nil {
			return fail(errors.New("joining a mount namespace by path needs nsenter (util-linux), which is not installed: install util-linux"))
		}
		// nsenter execs the stage (no fork: it joins no PID namespace),
		// so the stage keeps the pid the parent knows.
		args = append([]string{"nsenter", "--mount=" + plan.mountPath, "--", path}, args[1:]...)
		path = nsenter
	}
	// URUN_TRACE: the stage sends its own marks on a pipe of its own.
	traceW, err := trace.Pipe("init")
	if err != nil {
		return fail(err)
	}
	if traceW != nil {
		defer traceW.Close()
		args = append(args, traceArg(fdConfig+len(extra)))
		extra = append(extra, traceW)
	}
	cmd := &exec.Cmd{
		// The child's own descriptor: ExtraFiles[i] is fd 3+i there.
		Path:       path,
		Args:       args,
		Env:        stageEnv,
		Stdin:      o.Stdin,
		Stdout:     o.Stdout,
		Stderr:     o.Stderr,
		ExtraFiles: extra,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: flags,
			Pdeathsig:  syscall.SIGKILL,
			// Without a terminal of its own the container may still hold
			// the user's (--no-tty, or only stdout a terminal). A session
			// of its own means that terminal is not its controlling one, so
			// it cannot push keystrokes into the user's shell with TIOCSTI
			// (bubblewrap's CVE-2017-5226), and Ctrl-C reaches it once,
			// through urun's forwarding, not twice. With a console socket
			// the stage makes its own session around the new terminal.
			Setsid: o.ConsoleSocket == nil,
			// The stage execs as a uid that is not mapped yet, and execve
			// then clears its capabilities; ambient ones survive, so the
			// stage can mount once the maps exist. It narrows them to the
			// container's set before it execs the command.
			AmbientCaps: allCaps(),
		},
	}
	if !plan.userNS {
		// Root keeps its capabilities over the exec; raising ambient
		// ones would need them inheritable first.
		cmd.SysProcAttr.AmbientCaps = nil
	}
	var threadDone chan struct{}
	if plan.joinsPID() {
		// Go's child checks after setting Pdeathsig that its parent is
		// still the one that forked it; in a joined PID namespace the
		// parent is outside and getppid says 0, so the child would kill
		// itself. The stage sets its parent-death signal itself instead
		// (RunInit).
		cmd.SysProcAttr.Pdeathsig = 0
	}
	if len(plan.joins) == 0 {
		// vfork: the child borrows urun's memory until it execs the
		// stage, instead of a copy of urun's page tables, and urun's
		// next writes to every page it touches then take no copy-on-write
		// faults (together about 1 ms of CPU per start here). Go's
		// forkExec leaves CLONE_VM out on its own whenever the clone makes
		// a user namespace, because its child must then wait for the
		// parent to write UidMappings, which a suspended parent cannot;
		// this child waits for nothing before its exec (the stage waits
		// for its maps after it, on its config pipe), so the parent's
		// suspension ends at the exec as with any vfork. The child code
		// is Go's own, written to run on a borrowed stack.
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_VM | unix.CLONE_VFORK
	}
	if len(plan.joins) > 0 {
		threadDone = make(chan struct{})
		err = startJoined(cmd, plan.joins, threadDone)
	} else {
		err = cmd.Start()
	}
	cfgR.Close()
	errW.Close()
	if err != nil {
		cfgW.Close()
		errR.Close()
		return nil, fmt.Errorf("starting the init stage: %w", err)
	}
	return &Process{cmd: cmd, threadDone: threadDone, UserNS: plan.userNS, cfgW: cfgW, errR: errR, consoleFd: consoleFd, PID: cmd.Process.Pid}, nil
}

// allCaps lists every capability the running kernel knows.
func allCaps() []uintptr {
	last := lastCap()
	caps := make([]uintptr, 0, last+1)
	for c := 0; c <= last; c++ {
		caps = append(caps, uintptr(c))
	}
	return caps
}

// Setup sends the config, which lets the init stage set the container up,
// and returns once the stage is set up and waits at the start gate (OCI's
// "created"), or has failed (an *InitError; the stage has exited). Go is
// the second half; an OCI container holds the stage between the two until
// `urun start`.
func (p *Process) Setup(c *Config) error {
	c.ConsoleFd = p.consoleFd
	b, err := wire.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding the init config: %w", err)
	}
	// The config goes length-first, so the pipe stays open for the go.
	msg := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(b)), uint32(len(b)))
	// Marked at the start of the write: the stage may read the config
	// before the write returns here.
	sent := trace.Now()
	if _, err := p.cfgW.Write(append(msg, b...)); err != nil {
		p.cfgW.Close()
		return p.report(fmt.Errorf("sending the config to the init stage: %w", err))
	}
	trace.MarkAt(sent, "config sent")
	// The stage answers with one zero byte once the container is set up
	// and only the exec is left (OCI's "created"), or with an error report.
	var first [1]byte
	if _, err := io.ReadFull(p.errR, first[:]); err != nil || first[0] != createdByte {
		p.cfgW.Close()
		if err != nil {
			return p.report(fmt.Errorf("the init stage ended before it was set up"))
		}
		return p.report(nil, first[0])
	}
	return nil
}

// Go opens the start gate of a stage that Setup has set up, and returns once
// the stage has exec'd the command (nil) or failed (an *InitError).
func (p *Process) Go() error {
	_, err := p.cfgW.Write([]byte{goByte})
	p.cfgW.Close()
	if err != nil {
		return p.report(fmt.Errorf("starting the command: %w", err))
	}
	return p.report(nil)
}

// report reads the rest of the error pipe: nothing (EOF at the exec) means the
// command runs; a JSON report is the stage's error. fallback is returned when
// the stage said nothing. prefix holds bytes of the report already read.
func (p *Process) report(fallback error, prefix ...byte) error {
	rest, rerr := io.ReadAll(p.errR)
	p.errR.Close()
	if msg := append(prefix, rest...); len(msg) > 0 {
		return decodeError(msg)
	}
	if fallback != nil {
		return fallback
	}
	if rerr != nil {
		return fmt.Errorf("reading the init stage's report: %w", rerr)
	}
	return nil
}

// Abort stops an init stage that was never released (or is held at its
// start gate) and returns its status as Wait does: 128+9 when the kill ended
// it, 128+N when signal N already had.
func (p *Process) Abort() int {
	p.cfgW.Close()
	p.errR.Close()
	_ = p.cmd.Process.Kill()
	status, _ := p.Wait()
	return status
}

// endThread lets the forking thread of a stage that joined namespaces go,
// once the stage is reaped.
func (p *Process) endThread() {
	if p.threadDone != nil {
		p.threadOnce.Do(func() { close(p.threadDone) })
	}
}

// Signal sends sig to the container's PID 1.
func (p *Process) Signal(sig syscall.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// Wait waits for PID 1 and returns its status in shell terms: the exit code, or
// 128+N when signal N killed it.
func (p *Process) Wait() (int, error) {
	err := p.cmd.Wait()
	p.endThread()
	st := p.cmd.ProcessState
	if st == nil {
		return StatusError, fmt.Errorf("waiting for the container: %w", err)
	}
	ws := st.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return StatusError, fmt.Errorf("waiting for the container: %w", err)
	}
	return ws.ExitStatus(), nil
}
