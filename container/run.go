package container

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/cgroupdelegate"
	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/internal/trace"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/seccomp"
	"github.com/urun-dev/urun/slirp"
	"github.com/urun-dev/urun/spec"
	"github.com/urun-dev/urun/state"
	"github.com/urun-dev/urun/store"
	"github.com/urun-dev/urun/userns"
)

// Config describes one run.
type Config struct {
	ID   string
	Spec *specs.Spec
	// DefaultCmd: the user gave no command and /bin/sh was chosen.
	DefaultCmd bool
	Quiet      bool
	Verbose    bool
	Stdin      *os.File
	Stdout     *os.File
	Stderr     *os.File
	// Network: slirp4netns, none or host, published ports, DNS, hosts.
	Network Network

	// Name is the container's name in the store ("" picks a random one);
	// StoreRoot overrides the store's base directory (an engine's --root).
	Name      string
	StoreRoot string
	// Detached: a monitor supervises the container (urun run -d); its
	// record outlives the run. AutoRemove (--rm) is the monitor's to act on.
	Detached   bool
	AutoRemove bool
	// Supervisor holds the container's terminal while it runs; nil is the
	// foreground run's: the user's own terminal.
	Supervisor Supervisor
	// Signals, when set, are the signals to pass to the container instead
	// of those urun itself receives (a monitor's come over its socket).
	Signals <-chan os.Signal
	// Messages gets urun's own lines; nil means Stderr.
	Messages io.Writer
	// OCI is set for a container of an OCI bundle (oci.go): hooks, the
	// start gate, the console socket and the pid file. Limits that no
	// cgroup can hold here are then dropped with a warning, as crun does
	// rootless, instead of refused (ociconfig.go).
	OCI *OCI
}

// Supervisor is what a run needs from whoever holds the container's stdio
// and terminal: the foreground run (the user's terminal) or a monitor.
type Supervisor interface {
	// Registered is called once the container's directory is in the store.
	Registered(dir string) error
	// Terminal takes the container's terminal master and relays it.
	Terminal(master *os.File) (TerminalRelay, error)
	// Running is called once the command runs as pid (on the host).
	Running(pid int)
}

// TerminalRelay relays a container's terminal: Wait drains what the
// container wrote (after PID 1 is reaped), Close stops at once.
type TerminalRelay interface {
	Wait() error
	Close() error
}

// foreground is the Supervisor of a run in the user's terminal.
type foreground struct{ c *Config }

func (foreground) Registered(string) error { return nil }
func (f foreground) Terminal(master *os.File) (TerminalRelay, error) {
	return pty.Start(master, f.c.Stdin, f.c.Stdout)
}
func (foreground) Running(int) {}

// forwarded are the signals urun passes on to the container, as docker's
// --sig-proxy does.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// caught holds the signals CatchSignals catches for the next Run.
var caught struct {
	mu    sync.Mutex
	done  chan struct{}
	ch    chan os.Signal
	taken bool
}

// CatchSignals starts catching the forwarded signals for a Run to come, in
// the background. signal.Notify waits, for each signal, until the runtime's
// signal thread has updated its mask: six round trips to a thread that must
// first get a CPU, and while the init stage starts on the other one that
// took 0.3-2.7 ms of a run here, between the spec and the container. A Run
// without Config.Signals takes the channel (and waits for it); a signal
// that comes before the container runs waits there and is forwarded once it
// does, as one during the start is. It is for a process that exits after
// its run: the catching is never stopped (signal.Stop has the same round
// trips), unless ReleaseSignals gives them back before a long wait.
func CatchSignals() {
	caught.mu.Lock()
	defer caught.mu.Unlock()
	if caught.done != nil {
		return
	}
	caught.done, caught.ch = make(chan struct{}), make(chan os.Signal, 8)
	go func() {
		signal.Notify(caught.ch, forwarded...)
		close(caught.done)
	}()
}

// ReleaseSignals undoes CatchSignals before a wait that a signal must be
// able to end (a pull): the signals take their default action again, and
// one caught meanwhile is raised again now.
func ReleaseSignals() {
	ch := takeCaught()
	if ch == nil {
		return
	}
	signal.Stop(ch)
	for {
		select {
		case s := <-ch:
			_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
		default:
			return
		}
	}
}

// takeCaught returns CatchSignals' channel once it catches, or nil.
func takeCaught() chan os.Signal {
	caught.mu.Lock()
	defer caught.mu.Unlock()
	if caught.done == nil || caught.taken {
		return nil
	}
	caught.taken = true
	<-caught.done
	return caught.ch
}

// run is the state of one run, torn down by close in reverse order of setup.
type run struct {
	c   *Config
	sup Supervisor
	dir *state.Dir
	// store and rec are the container's record, made by register.
	store *store.Store
	rec   *store.Record
	proc  *userns.Process
	// limits are the spec's resources, for the cgroup scope.
	limits cgroupdelegate.Limits
	scope  *cgroupdelegate.Scope
	// scopeUnit and scopeSlice name the scope (ociCgroup).
	scopeUnit, scopeSlice string
	slirp                 *slirp.Slirp
	// seccomp is the compiled filter for the init stage (nil: none).
	seccomp *seccomp.Program
	// tty relays the container's terminal (nil without -t): the user's
	// terminal is raw while it is set.
	tty TerminalRelay
	// released: the stage was let go to exec the command, so the cleanup
	// does not abort it.
	released bool
	// handedOff: the command runs on without this run (OCI.HandOff); its
	// scope stays for it.
	handedOff bool
	cleanup   []step
}

// step is one teardown step; its name labels it in URUN_TRACE's timeline.
type step struct {
	name string
	f    func()
}

// Run runs the container and returns the exit status for urun: the command's
// status, 128+N for signal N, or 125 after printing one line when urun itself
// failed.
func Run(c *Config) int {
	// Pdeathsig follows the thread that started the init stage: keep this
	// goroutine on one thread until the container is gone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	sigs := c.Signals
	if sigs == nil {
		sigs = takeCaught()
	}
	if sigs == nil {
		own := make(chan os.Signal, 8)
		signal.Notify(own, forwarded...)
		defer signal.Stop(own)
		sigs = own
	}
	if c.Messages == nil {
		c.Messages = c.Stderr
	}

	r := &run{c: c, sup: c.Supervisor, limits: cgroupdelegate.LimitsFromSpec(c.Spec.Linux.Resources)}
	if r.sup == nil {
		r.sup = foreground{c}
	}
	defer r.close()
	if err := r.start(); err != nil {
		var ks *killedBeforeStart
		if errors.As(err, &ks) {
			return ks.status
		}
		return r.fail(err)
	}
	if c.OCI != nil && c.OCI.HandOff {
		// The command is no longer this run's (oci.go).
		r.handedOff = true
		return 0
	}
	status := r.wait(sigs)
	r.stopped()
	return status
}

func (r *run) fail(err error) int {
	// Give the user their terminal back before the message, or it would be
	// printed in raw mode (no carriage return).
	r.endTerminal(false)
	status := userns.StatusError
	var ie *userns.InitError
	if errors.As(err, &ie) {
		status = ie.Status
	}
	fmt.Fprintf(r.c.Messages, "urun: %v\n", err)
	return status
}

func (r *run) start() error {
	c := r.c
	trace.Mark("container.Run")
	if err := Validate(c.Spec, c.DefaultCmd); err != nil {
		return err
	}
	trace.Mark("spec validated")
	if err := r.register(); err != nil {
		return err
	}
	trace.Mark("store record written")
	if err := r.compileSeccomp(); err != nil {
		return err
	}
	trace.Mark("seccomp compiled")
	overlay, err := prepareOverlay(c.Spec)
	if err != nil {
		return err
	}
	if err := r.ociCgroup(); err != nil {
		return err
	}
	if err := cgroupdelegate.Precheck(r.limits); err != nil {
		return err
	}
	if err := checkNetwork(&c.Network); err != nil {
		return err
	}
	trace.Mark("overlay, cgroup and network checked")
	if c.Network.Net.Mode == slirp.Slirp4netns {
		// Learn slirp4netns's options (one exec) while the namespaces and
		// id maps are being set up; slirp.Start waits for the result.
		go func() { _, _ = slirp.Probe() }()
	}
	maps, err := planMaps(c.Spec)
	if err != nil {
		return err
	}
	r.withoutID0(maps)
	trace.Mark("id maps planned")
	if maps != nil {
		if maps.Notice != "" && !c.Quiet {
			fmt.Fprintln(c.Messages, maps.Notice)
		}
		r.logf("uid map: %s", idmap.OneLine(maps.UID.Lines))
		r.logf("gid map: %s", idmap.OneLine(maps.GID.Lines))
	}
	if r.dir, err = state.Create(r.store.Dir(c.ID)); err != nil {
		return err
	}
	r.deferNamed("state directory removed", func() { r.dir.Remove() })
	r.logf("state directory %s", r.dir.Path)
	// An OCI bundle's /etc is the engine's (it mounts its own hosts and
	// resolv.conf).
	if c.OCI == nil {
		if err := etcFiles(c.Spec, r.dir.Path, &c.Network); err != nil {
			return err
		}
	}
	if err := keepIDPasswd(c.Spec, r.dir.Path); err != nil {
		return err
	}
	trace.Mark("state directory and /etc files written")

	so := userns.StartOptions{
		Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr,
		NetNS:      spec.HasNamespace(c.Spec, specs.NetworkNamespace),
		Namespaces: specNamespaces(c.Spec),
		Maps:       maps,
	}
	var consoleSock *os.File
	if c.Spec.Process.Terminal {
		// The container never holds the user's terminal (it could inject
		// keystrokes into the user's shell with TIOCSTI): it gets a terminal
		// of its own, and the stage's stdio is /dev/null until then.
		so.Stdin, so.Stdout, so.Stderr = nil, nil, nil
		var stageSock *os.File
		if consoleSock, stageSock, err = socketpair(); err != nil {
			return err
		}
		r.defer_(func() { consoleSock.Close() })
		so.ConsoleSocket = stageSock
	}
	r.proc, err = userns.Start(so)
	if so.ConsoleSocket != nil {
		// Only the stage holds it now: if it dies without sending the
		// terminal, RecvFd sees the socket close instead of waiting.
		so.ConsoleSocket.Close()
	}
	if err != nil {
		return err
	}
	r.logf("init stage is pid %d", r.proc.PID)
	trace.Mark("init stage cloned")
	r.defer_(func() {
		if !r.released {
			r.proc.Abort()
		}
	})
	if maps != nil && !r.proc.Mapped {
		if err := maps.Apply(r.proc.PID); err != nil {
			return err
		}
	}
	trace.Mark("id maps written")
	// The stage must be in its scope before it is released: it unshares its
	// cgroup namespace first thing, rooting the container at the scope.
	r.scope, err = cgroupdelegate.Attach(context.Background(), r.proc.PID, r.limits, cgroupdelegate.Options{
		Unit:        r.scopeUnit,
		Slice:       r.scopeSlice,
		Description: "urun container " + c.ID,
		Verbose:     c.Verbose,
		Log:         c.Messages,
	})
	if err != nil {
		return err
	}
	r.deferNamed("scope stopped", func() {
		if r.handedOff {
			return
		}
		if err := r.scope.Close(); err != nil {
			fmt.Fprintf(c.Messages, "urun: %v\n", err)
		}
	})
	if r.scope != nil {
		r.logf("cgroup scope %s at %s", r.scope.Unit(), r.scope.Path())
	}
	trace.Mark("cgroup scope attached")
	if err := r.startSlirp(r.proc.PID); err != nil {
		return err
	}
	cfg := &userns.Config{
		Spec:           stageSpec(c.Spec),
		GID5Mapped:     maps == nil || idmap.Contains(maps.GID.Lines, 5),
		CgroupRequired: r.limits.Any(),
		HaveScope:      r.scope != nil,
		Overlay:        overlay,
		Seccomp:        r.seccomp,
		EarlyTerminal:  c.OCI != nil,
		Gated:          c.OCI != nil && c.OCI.Start != nil,
		HandOff:        c.OCI != nil && c.OCI.HandOff,
	}
	if err := r.proc.Setup(cfg); err != nil {
		// The stage has exited (it reports, then exits): the cleanup
		// reaps it.
		return err
	}
	// Once the stage is set up the container holds what it needs from the
	// state directory (its bind mounts keep the files alive): removing it
	// before the command runs means a SIGKILL of urun leaves nothing behind.
	trace.Mark("init stage set up (created)")
	// The API socket for -p is in the state directory.
	if err := r.slirpReady(); err != nil {
		return err
	}
	r.dir.Remove()
	if c.OCI != nil {
		// Hooks, the terminal for the engine, the pid file, the gate.
		if err := r.created(consoleSock); err != nil {
			return err
		}
	}
	r.released = true
	trace.Mark("releasing the init stage")
	if err := r.proc.Go(); err != nil {
		// The stage has exited (it reports, then exits): reap it.
		_, _ = r.proc.Wait()
		return err
	}
	r.logf("container %s started", c.ID)
	trace.Mark("command exec'd (error pipe closed)")
	if consoleSock != nil && c.OCI == nil {
		master, err := pty.RecvFd(consoleSock)
		if err != nil {
			return r.killStarted(fmt.Errorf("receiving the container's terminal: %w", err))
		}
		if r.tty, err = r.sup.Terminal(master); err != nil {
			return r.killStarted(fmt.Errorf("relaying the container's terminal: %w", err))
		}
		r.deferNamed("terminal restored", func() { r.endTerminal(false) })
	}
	if err := r.running(); err != nil {
		return r.killStarted(err)
	}
	trace.Mark("store record: running")
	r.sup.Running(r.proc.PID)
	r.poststart()
	return nil
}

// wait relays signals until the container's PID 1 exits.
func (r *run) wait(sigs <-chan os.Signal) int {
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		s, err := r.proc.Wait()
		done <- result{s, err}
	}()
	killedBy := 0
	slirpDone := r.slirpDone()
	for {
		select {
		case err := <-slirpDone:
			// The container goes on without a network; say so once.
			if err != nil {
				r.notef("%v", err)
			}
			slirpDone = nil
		case res := <-done:
			trace.Mark("container's PID 1 reaped")
			if res.err != nil {
				return r.fail(res.err)
			}
			// PID 1 is gone and with it the whole PID namespace: the
			// terminal's slave side is closed, so this only drains the
			// output still in the terminal and returns.
			r.endTerminal(true)
			if killedBy != 0 {
				return 128 + killedBy
			}
			if oom, err := r.scope.OOMKilled(); err != nil {
				r.logf("%v", err)
			} else if oom {
				limit := "no memory limit set"
				if m := r.limits.MemoryMax; m > 0 {
					limit = "limit " + cgroupdelegate.FormatSize(m)
				}
				fmt.Fprintf(r.c.Messages, "urun: container killed: out of memory (%s)\n", limit)
				return 128 + int(syscall.SIGKILL)
			}
			return res.status
		case s := <-sigs:
			sig := s.(syscall.Signal)
			if catches(r.proc.PID, sig) {
				_ = r.proc.Signal(sig)
				continue
			}
			// PID 1 of a PID namespace never gets a signal it has no
			// handler for, so `kill` and Ctrl-C would do nothing; urun
			// stops the container instead and reports the signal, as if
			// it had killed an ordinary process.
			killedBy = int(sig)
			_ = r.proc.Signal(syscall.SIGKILL)
		}
	}
}

// killStarted stops a container whose command is already running after a
// failure of urun's own, and returns err.
func (r *run) killStarted(err error) error {
	_ = r.proc.Signal(syscall.SIGKILL)
	_, _ = r.proc.Wait()
	return err
}

// endTerminal stops relaying the container's terminal and restores the
// user's terminal mode. With drain it first copies every byte the container
// wrote (call it once PID 1 is reaped); without, it stops at once (error
// paths). Only the first call acts.
func (r *run) endTerminal(drain bool) {
	if r.tty == nil {
		return
	}
	var err error
	if drain {
		err = r.tty.Wait()
	} else {
		err = r.tty.Close()
	}
	r.tty = nil
	if err != nil {
		r.logf("terminal: %v", err)
	}
}

// notef prints a line while the container runs. The user's terminal may be
// in raw mode then, where a bare newline does not return the carriage.
func (r *run) notef(format string, a ...any) {
	eol := "\n"
	if r.tty != nil {
		eol = "\r\n"
	}
	fmt.Fprintf(r.c.Messages, "urun: "+format+eol, a...)
}

// logf prints a --verbose line.
func (r *run) logf(format string, a ...any) {
	if r.c.Verbose {
		fmt.Fprintf(r.c.Messages, "urun: "+format+"\n", a...)
	}
}

func (r *run) defer_(f func()) { r.deferNamed("", f) }

// deferNamed is defer_ with a name for the trace.
func (r *run) deferNamed(name string, f func()) {
	r.cleanup = append(r.cleanup, step{name, f})
}

func (r *run) close() {
	for i := len(r.cleanup) - 1; i >= 0; i-- {
		r.cleanup[i].f()
		if trace.On() {
			trace.Mark("teardown: " + cmp.Or(r.cleanup[i].name, "step"))
		}
	}
	r.cleanup = nil
}
