package userns

import (
	"errors"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// initAnnotation marks a spec whose command runs under urun's tiny init
// (--init); it travels with the spec to a monitor and the init stage.
const initAnnotation = "dev.urun.init"

// tiniArg is the hidden argument of the tiny init.
const tiniArg = "__urun_tini"

// WithInit makes s run its command as the child of urun's tiny init.
func WithInit(s *specs.Spec) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[initAnnotation] = "true"
}

func wantsInit(s *specs.Spec) bool { return s.Annotations[initAnnotation] == "true" }

// IsTini reports whether this process is the tiny init.
func IsTini() bool { return len(os.Args) > 2 && os.Args[1] == tiniArg }

// tiniArgs is how the init stage execs the tiny init in place of the
// command: from the sealed copy of urun's binary it was itself started from
// (never the host file: see sealedExe), with the resolved command path and
// its argv after it.
func tiniArgs(exeFd int, path string, args []string) (string, []string) {
	return "/proc/self/fd/" + strconv.Itoa(exeFd), append([]string{"urun-init", tiniArg, path}, args...)
}

// The tiny init inherits the init stage's error pipe (fdError) and closes
// it only once its signal handlers are in place and the command runs, so
// the parent's "running" comes after the point where a signal would reach
// the command, and a command that cannot be executed is still reported with
// its status (126, 127) as without --init.

// RunTini is the tiny init, PID 1 of a container run with --init: it starts
// the command as its child, passes on every signal it gets (PID 1 of a PID
// namespace gets only the signals it handles, so a command without handlers
// would never see `kill` or `docker stop`), reaps every zombie that is
// reparented to it, and exits with the command's status (128+N for signal
// N), as docker's tini. It never returns.
func RunTini() {
	path, argv := os.Args[2], os.Args[3:]
	// The container must not ptrace its init or open its /proc files: its
	// exe is urun's binary (a sealed copy, or the file on a read-only fs).
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	// Until Notify, a SIGTERM would end this Go program with status 2
	// (the runtime's default): the parent sends none before the error
	// pipe closes below.
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs)
	errPipe := os.NewFile(fdError, "error-pipe")
	unix.CloseOnExec(fdError)
	attr := &os.ProcAttr{Env: os.Environ(), Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys: &syscall.SysProcAttr{Setpgid: true}}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		// On a terminal the command's group is the foreground one, so
		// Ctrl-C and job control reach it through the line discipline.
		attr.Sys = &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
	}
	child, err := os.StartProcess(path, argv, attr)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			fail(errPipe, execError(argv[0], errno))
		}
		fail(errPipe, failf("running %q under the init: %v", argv[0], err))
	}
	errPipe.Close()
	for s := range sigs {
		sig := s.(syscall.Signal)
		switch sig {
		case syscall.SIGCHLD:
			if status, done := reap(child.Pid); done {
				os.Exit(status)
			}
		case syscall.SIGURG, syscall.SIGTTIN, syscall.SIGTTOU:
			// SIGURG is the Go runtime's own preemption signal; the
			// terminal stop signals are for the init, not the command.
		default:
			_ = child.Signal(sig)
		}
	}
}

// reap collects every exited child; done says the command was among them.
func reap(cmd int) (status int, done bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return status, done
		}
		if pid == cmd {
			done = true
			status = ws.ExitStatus()
			if ws.Signaled() {
				status = 128 + int(ws.Signal())
			}
		}
	}
}
