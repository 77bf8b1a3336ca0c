package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/hooks"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/store"
	"golang.org/x/sys/unix"
)

// OCI is what a container of an OCI bundle adds to a run (urun create, urun
// run --bundle): the lifecycle the runtime spec gives it. The run stops at
// the start gate once the init stage is set up (namespaces, maps, scope,
// mounts, pivot_root: userns.Process.Setup) and does this, in order:
//
//  1. the record says created, with the pid (the container's PID 1 on the
//     host, which engines signal and poll);
//  2. prestart and createRuntime hooks, then createContainer hooks, each
//     with the state on stdin; a failure ends the run and leaves nothing;
//  3. with a terminal, its master goes to ConsoleSocket (runc's protocol)
//     or, without one, to the supervisor's relay (a foreground run);
//  4. the pid file;
//  5. Created(pid), then the gate: the command starts once Start is closed
//     (nil Start: at once); if PID 1 dies first (a kill before start) the
//     run ends with its status.
//
// startContainer hooks run as the gate opens, poststart hooks once the
// command runs (failures are warnings), poststop hooks when a foreground run
// ends (a supervised container's run on delete, by the CLI).
//
// Where hooks run: every phase runs in urun's own (the runtime's)
// namespaces. The spec puts createContainer and startContainer in the
// container's namespaces; urun runs them at the same moments (after
// pivot_root, before the exec) but on the host side, with the pid in the
// state to find the container by (/proc/PID/root, nsenter -t PID).
type OCI struct {
	// Bundle is the bundle directory, absolute (the state's bundle).
	Bundle string
	// ConsoleSocket is the path of the engine's Unix socket that gets the
	// terminal's master; "" relays the terminal in the supervisor.
	ConsoleSocket string
	// PidFile, if set, gets the pid once the container is created.
	PidFile string
	// Created is called once the container is created and waits at the
	// gate (the monitor reports to create then); nil: nothing to tell.
	Created func(pid int)
	// Start opens the gate when closed; nil opens it at once.
	Start <-chan struct{}
	// HandOff: once the command runs (and the poststart hooks have), Run
	// returns 0 and leaves it running: it is no longer this process's
	// child to wait for, and its parent-death signal is cleared, so when
	// the supervisor exits the command is reparented to the nearest
	// subreaper. Engines need that: conmon and containerd's shim are
	// subreapers that waitpid the pid of the pid file, as they do runc's
	// container (runc create exits and leaves its init to them). The
	// scope stays with the command; nothing else of the run is left.
	HandOff bool
}

// killedBeforeStart is the end of a container whose PID 1 died at the gate:
// a kill of a created container (or delete --force). It is no failure of
// urun's: the run ends with the status, without a message.
type killedBeforeStart struct{ status int }

func (e *killedBeforeStart) Error() string {
	return fmt.Sprintf("the container ended before it was started (status %d)", e.status)
}

// State is the spec's state of the container with the given status.
func (r *run) State(status specs.ContainerState) *specs.State {
	st := &specs.State{Version: specs.Version, ID: r.c.ID, Status: status, Annotations: r.c.Spec.Annotations}
	if r.c.OCI != nil {
		st.Bundle = r.c.OCI.Bundle
	}
	if r.proc != nil && status != specs.StateStopped {
		st.Pid = r.proc.PID
	}
	return st
}

// runHooks runs the fatal hooks of phases in order.
func (r *run) runHooks(status specs.ContainerState, phases ...hooks.Phase) error {
	for _, p := range phases {
		if err := hooks.Run(context.Background(), r.c.Spec.Hooks, p, r.State(status), r.hookOutput()); err != nil {
			return err
		}
	}
	return nil
}

// warnHooks runs the hooks of a phase whose failures are warnings.
func (r *run) warnHooks(p hooks.Phase, status specs.ContainerState) {
	for _, err := range hooks.RunAll(context.Background(), r.c.Spec.Hooks, p, r.State(status), r.hookOutput()) {
		r.notef("warning: %v", err)
	}
}

// hookOutput sends what hooks print where urun's own lines go: never the
// container's stdio, which belongs to the engine's streams.
func (r *run) hookOutput() hooks.Options {
	return hooks.Options{Stdout: r.c.Messages, Stderr: r.c.Messages}
}

// created is the OCI container's stop at the start gate (see OCI).
func (r *run) created(consoleSock *os.File) error {
	o := r.c.OCI
	pid := r.proc.PID
	start, err := store.StartTime(pid)
	if err != nil {
		return fmt.Errorf("reading the container's start time: %w", err)
	}
	if _, err := r.store.Update(r.c.ID, func(rec *store.Record) error {
		rec.Pid, rec.PidStart = pid, start
		if r.scope != nil {
			rec.CgroupPath = r.scope.Path()
		}
		return nil
	}); err != nil {
		return err
	}
	// runc passes "creating" to the hooks of create, then "created".
	if err := r.runHooks("creating", hooks.Prestart, hooks.CreateRuntime, hooks.CreateContainer); err != nil {
		return err
	}
	if consoleSock != nil {
		if err := r.consoleTerminal(consoleSock); err != nil {
			return err
		}
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, pid); err != nil {
			return err
		}
	}
	if o.Created != nil {
		o.Created(pid)
	}
	if o.Start != nil {
		if err := r.gate(o.Start); err != nil {
			return err
		}
	}
	return r.runHooks(specs.StateCreated, hooks.StartContainer)
}

// consoleTerminal takes the terminal's master from the stage (made at
// set-up, EarlyTerminal) and hands it on: to the engine's console socket,
// or to the supervisor's relay.
func (r *run) consoleTerminal(consoleSock *os.File) error {
	master, err := pty.RecvFd(consoleSock)
	if err != nil {
		return fmt.Errorf("receiving the container's terminal: %w", err)
	}
	if r.c.OCI.ConsoleSocket == "" {
		if r.tty, err = r.sup.Terminal(master); err != nil {
			return fmt.Errorf("relaying the container's terminal: %w", err)
		}
		r.defer_(func() { r.endTerminal(false) })
		return nil
	}
	defer master.Close()
	return SendConsole(r.c.OCI.ConsoleSocket, master)
}

// SendConsole sends a terminal's master to the Unix socket at path as runc
// does: one message whose payload is the terminal's name and whose
// SCM_RIGHTS control message holds the descriptor.
func SendConsole(path string, master *os.File) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("console socket %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return fmt.Errorf("connecting to the console socket %s: %w: give the path of a listening Unix socket", path, err)
	}
	name := master.Name()
	if name == "" {
		name = "/dev/ptmx"
	}
	if err := unix.Sendmsg(fd, []byte(name), unix.UnixRights(int(master.Fd())), nil, 0); err != nil {
		return fmt.Errorf("sending the terminal to the console socket %s: %w", path, err)
	}
	return nil
}

// writePidFile writes pid by rename, as runc does, so that an engine polling
// the file never reads half of it.
func writePidFile(path string, pid int) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".urun-tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("writing the pid file (--pid-file): %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing the pid file (--pid-file): %w", err)
	}
	return nil
}

// gate waits for start, or for PID 1 to die first (a kill before start: the
// stage is the run's child, so its pid cannot be reused before it is
// reaped here).
func (r *run) gate(start <-chan struct{}) error {
	pidfd, err := unix.PidfdOpen(r.proc.PID, 0)
	if err != nil {
		return fmt.Errorf("watching the container's process: %w", err)
	}
	defer unix.Close(pidfd)
	wakeR, wakeW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("watching the container's process: %w", err)
	}
	defer wakeR.Close()
	dead := make(chan struct{})
	go func() {
		defer close(dead)
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}, {Fd: int32(wakeR.Fd()), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err == unix.EINTR {
				continue
			}
			return
		}
	}()
	select {
	case <-start:
		wakeW.Close()
		<-dead
		// PID 1 may have died just as start came: Go finds out.
		return nil
	case <-dead:
		wakeW.Close()
		select {
		case <-start:
			// Both at once: let Go report it.
			return nil
		default:
		}
		r.released = true
		return &killedBeforeStart{status: r.proc.Abort()}
	}
}

// poststart runs the poststart hooks once the command runs.
func (r *run) poststart() {
	if r.c.OCI != nil {
		r.warnHooks(hooks.Poststart, specs.StateRunning)
	}
}

// stopped runs the poststop hooks of a foreground OCI run, which ends with
// the container (a supervised container's run at its delete).
func (r *run) stopped() {
	if r.c.OCI != nil && !r.c.Detached {
		r.warnHooks(hooks.Poststop, specs.StateStopped)
	}
}
