package userns

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/wire"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/seccomp"
	"golang.org/x/sys/unix"
)

// execArg is the hidden argument that makes the urun binary run the exec
// stage: the process `urun exec` starts inside a running container.
const execArg = "__urun_exec"

// File descriptors of the exec stage, as nsenter passes them on: first the
// n descriptors `exec --preserve-fds n` hands to the command (3..3+n-1, where
// the command gets them, so the stage never moves them), then the stage's own
// at 3+n+execFd*.
const (
	// execFdBoot is the bootstrap socket: one message, the ExecConfig with
	// the stage's private report socket attached (SCM_RIGHTS).
	execFdBoot = iota
	// execFdExe is the sealed copy the stage runs from.
	execFdExe
	// execFdStdin..execFdStderr are the command's stdio without a
	// terminal (ExecConfig.Stdio): nsenter's own stdio carries its error
	// messages to the CLI instead.
	execFdStdin
	execFdStdout
	execFdStderr
)

// maxPreserveFDs bounds --preserve-fds (runc has no bound; the fd table
// does).
const maxPreserveFDs = 1 << 16

// stageFd is the stage's descriptor i when n are preserved.
func stageFd(n, i int) int { return 3 + n + i }

// Messages of the exec stage on its report socket (SOCK_SEQPACKET), in this
// order: the hello (its pid reaches the CLI in the socket's credentials,
// translated to the CLI's PID namespace), the terminal master with -t (a
// message carrying one descriptor, package pty), then either an error report
// (an InitError as JSON, the only message starting with '{') or nothing: the
// socket closes on the command's exec.
const execHello = "h"

// execGo is the CLI's one message to a stage whose config has WaitGo, after
// the hello: the stage may go on.
const execGo = "g"

// ExecConfig is what the CLI sends the exec stage (encoded by package wire).
type ExecConfig struct {
	// Process is the command and how it runs: args, env, cwd, user,
	// capabilities, rlimits, no_new_privs, terminal and its size.
	Process *specs.Process
	// Seccomp is the container's filter, compiled by the CLI (nil: none).
	Seccomp *seccomp.Program
	// Stdio says fds 5, 6 and 7 are the command's stdio (no terminal).
	Stdio bool
	// WaitGo: after its hello the stage waits for the CLI's go, which
	// comes once the CLI has done what must come before the command runs:
	// moving the stage into the container's cgroup, or (exec -d) ending
	// nsenter so that the stage's parent is the caller's subreaper.
	WaitGo bool
}

// IsExec reports whether this process is an exec stage.
func IsExec() bool { return len(os.Args) > 1 && os.Args[1] == execArg }

// RunExec is the exec stage. nsenter has put it in every namespace of the
// container, as root of its user namespace (so with every capability there);
// it becomes the container's process as the init stage's end does
// (startProcess) and execs the command. It never returns.
func RunExec() {
	// Credentials (the keyring, the user change) and the filter are set on
	// this thread; the exec must come from it.
	runtime.LockOSThread()
	// First: until the exec, nothing in the container may ptrace this
	// process or open its /proc files (its fds, its exe).
	dumpErr := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	n := 0
	if len(os.Args) > 2 {
		// Written by the CLI (execStageArgs); anything else is not a stage
		// urun started.
		v, err := strconv.Atoi(os.Args[2])
		if err != nil || v < 0 || v > maxPreserveFDs {
			fmt.Fprintf(os.Stderr, "urun exec stage: bad descriptor count %q\n", os.Args[2])
			os.Exit(StatusError)
		}
		n = v
	}
	unix.Close(stageFd(n, execFdExe))
	var c ExecConfig
	report, err := recvExecConfig(stageFd(n, execFdBoot), &c)
	if err != nil {
		// No report socket: the CLI sees the stage end without a hello.
		fmt.Fprintf(os.Stderr, "urun exec stage: %v\n", err)
		os.Exit(StatusError)
	}
	if _, err := report.Write([]byte(execHello)); err != nil {
		os.Exit(StatusError)
	}
	if dumpErr != nil {
		fail(report, failf("making the exec stage non-dumpable: %v", dumpErr))
	}
	if c.WaitGo {
		var b [1]byte
		if n, err := report.Read(b[:]); err != nil || n != 1 || string(b[:]) != execGo {
			// The CLI could not do its part (move this process into the
			// container's cgroup) and says why; nothing may run outside it.
			os.Exit(StatusError)
		}
	}
	fail(report, execSetup(&c, n, report))
}

// recvExecConfig reads the one bootstrap message and returns the report
// socket that came with it. nsenter holds the bootstrap socket as long as it
// runs; the report socket is this process's alone, so its closing on exec
// tells the CLI the command runs.
func recvExecConfig(boot int, c *ExecConfig) (*os.File, error) {
	defer unix.Close(boot)
	buf := make([]byte, maxExecConfig)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, flags, _, err := unix.Recvmsg(boot, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("reading the exec config: %w", err)
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		return nil, fmt.Errorf("the exec config was truncated")
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("the exec config came without its report socket")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("the exec config came without its report socket")
	}
	report := os.NewFile(uintptr(fds[0]), "exec-report")
	if err := wire.Unmarshal(buf[:n], c); err != nil || c.Process == nil || len(c.Process.Args) == 0 {
		report.Close()
		return nil, fmt.Errorf("decoding the exec config: %v", err)
	}
	return report, nil
}

// maxExecConfig bounds the bootstrap message (a seccomp program is a few
// KiB; a SOCK_SEQPACKET message is bounded by the socket buffer anyway).
const maxExecConfig = 1 << 20

// execSetup does what the init stage's setup does that a process joining
// the container needs for itself, then startProcess. It returns only on
// failure. n descriptors from 3 on are the command's (--preserve-fds).
func execSetup(c *ExecConfig, n int, report *os.File) *InitError {
	p := c.Process
	if c.Stdio {
		for i, fd := range []int{stageFd(n, execFdStdin), stageFd(n, execFdStdout), stageFd(n, execFdStderr)} {
			if err := unix.Dup3(fd, i, 0); err != nil {
				return failf("setting up the command's stdio: %v", err)
			}
			unix.Close(fd)
		}
	}
	// The CLI's session keyring came through nsenter: the command gets a
	// fresh one, as the container's PID 1 did.
	if err := joinSessionKeyring(); err != nil {
		return failf("%v", err)
	}
	// nsenter left this process at the container's root (setns of a mount
	// namespace does that); the work directory resolves from there, inside.
	if err := unix.Chdir(p.Cwd); err != nil {
		return failf("entering the work directory %s in the container: %v", p.Cwd, err)
	}
	if p.User.Umask != nil {
		// The umask is the process's (not the thread's): it reaches the
		// command through the exec.
		unix.Umask(int(*p.User.Umask & 0o777))
	}
	var terminal func() error
	if p.Terminal {
		terminal = func() error {
			var rows, cols uint16
			if cs := p.ConsoleSize; cs != nil && cs.Height <= 0xffff && cs.Width <= 0xffff {
				rows, cols = uint16(cs.Height), uint16(cs.Width)
			}
			return pty.SetupInContainer(report, rows, cols)
		}
	}
	var final func(path string) *InitError
	if n > 0 {
		// startProcess has made every descriptor from 3 on close-on-exec;
		// the preserved ones are the command's, as runc's --preserve-fds.
		final = func(path string) *InitError {
			for fd := 3; fd < 3+n; fd++ {
				if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
					return failf("passing descriptor %d to the command (--preserve-fds): %v", fd, err)
				}
			}
			return execError(p.Args[0], unix.Exec(path, p.Args, p.Env))
		}
	}
	return startProcess(p, c.Seccomp, terminal, final)
}

// execStageArgs is the stage's command line after nsenter's options, with n
// descriptors preserved.
func execStageArgs(n int) []string {
	return []string{"/proc/self/fd/" + strconv.Itoa(stageFd(n, execFdExe)), execArg, strconv.Itoa(n)}
}
