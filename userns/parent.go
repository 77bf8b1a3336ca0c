package userns

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// StartOptions says how to start the init stage.
type StartOptions struct {
	Stdin, Stdout, Stderr *os.File
	// NetNS gives the container its own network namespace.
	NetNS bool
	// ConsoleSocket, if set, is the init stage's end of a Unix socket: the
	// stage creates the container's terminal and sends its master back on
	// it (package pty) just before it execs the command.
	ConsoleSocket *os.File
}

// Process is a started init stage, blocked until Release.
type Process struct {
	cmd  *exec.Cmd
	cfgW *os.File
	errR *os.File
	// consoleFd is the console socket's fd in the stage, 0 without one.
	consoleFd int
	// PID is the init stage's pid on the host; it becomes the command's pid.
	PID int
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
	flags := uintptr(unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if o.NetNS {
		flags |= unix.CLONE_NEWNET
	}
	exe, err := sealedExe()
	if err != nil {
		cfgR.Close()
		cfgW.Close()
		errR.Close()
		errW.Close()
		return nil, err
	}
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
	cmd := &exec.Cmd{
		// The child's own descriptor: ExtraFiles[i] is fd 3+i there.
		Path:       "/proc/self/fd/" + strconv.Itoa(exeFd),
		Args:       []string{"urun-init", initArg, strconv.Itoa(exeFd)},
		Env:        []string{},
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
	err = cmd.Start()
	cfgR.Close()
	errW.Close()
	if err != nil {
		cfgW.Close()
		errR.Close()
		return nil, fmt.Errorf("starting the init stage: %w", err)
	}
	return &Process{cmd: cmd, cfgW: cfgW, errR: errR, consoleFd: consoleFd, PID: cmd.Process.Pid}, nil
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

// Release sends the config, which lets the init stage set the container up.
// When the stage is set up and only its exec is left, Release calls created
// (which may be nil), then lets it exec, and returns once it has either exec'd
// the command (nil) or failed (an *InitError).
func (p *Process) Release(c *Config, created func()) error {
	if err := p.Setup(c); err != nil {
		return err
	}
	if created != nil {
		created()
	}
	return p.Go()
}

// Setup is the first half of Release: it sends the config and returns once
// the stage is set up and waits at the start gate (OCI's "created"), or has
// failed (an *InitError; the stage has exited). Go is the second half; an
// OCI container holds the stage between the two until `urun start`.
func (p *Process) Setup(c *Config) error {
	c.ConsoleFd = p.consoleFd
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding the init config: %w", err)
	}
	// The config goes length-first, so the pipe stays open for the go.
	msg := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(b)), uint32(len(b)))
	if _, err := p.cfgW.Write(append(msg, b...)); err != nil {
		p.cfgW.Close()
		return p.report(fmt.Errorf("sending the config to the init stage: %w", err))
	}
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

// Signal sends sig to the container's PID 1.
func (p *Process) Signal(sig syscall.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// Wait waits for PID 1 and returns its status in shell terms: the exit code, or
// 128+N when signal N killed it.
func (p *Process) Wait() (int, error) {
	err := p.cmd.Wait()
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
