package userns

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/seccomp"
	"golang.org/x/sys/unix"
)

// execArg is the hidden argument that makes the urun binary run the exec
// stage: the process `urun exec` starts inside a running container.
const execArg = "__urun_exec"

// File descriptors of the exec stage, as nsenter passes them on.
const (
	// fdExecBoot is the bootstrap socket: one message, the ExecConfig with
	// the stage's private report socket attached (SCM_RIGHTS).
	fdExecBoot = 3
	// fdExecExe is the sealed copy the stage runs from.
	fdExecExe = 4
	// fdExecStdin..fdExecStderr are the command's stdio without a
	// terminal (ExecConfig.Stdio): nsenter's own stdio carries its error
	// messages to the CLI instead.
	fdExecStdin  = 5
	fdExecStdout = 6
	fdExecStderr = 7
)

// Messages of the exec stage on its report socket (SOCK_SEQPACKET), in this
// order: the hello (its pid reaches the CLI in the socket's credentials,
// translated to the CLI's PID namespace), the terminal master with -t (a
// message carrying one descriptor, package pty), then either an error report
// (an InitError as JSON, the only message starting with '{') or nothing: the
// socket closes on the command's exec.
const execHello = "h"

// execGo is the CLI's one message to a stage whose config has WaitJoin, after
// the hello: the stage is in the container's cgroup now.
const execGo = "g"

// ExecConfig is what the CLI sends the exec stage.
type ExecConfig struct {
	// Process is the command and how it runs: args, env, cwd, user,
	// capabilities, rlimits, no_new_privs, terminal and its size.
	Process *specs.Process `json:"process"`
	// Seccomp is the container's filter, compiled by the CLI (nil: none).
	Seccomp *seccomp.Program `json:"seccomp,omitempty"`
	// Stdio says fds 5, 6 and 7 are the command's stdio (no terminal).
	Stdio bool `json:"stdio,omitempty"`
	// WaitJoin: after its hello the stage waits for the CLI's go, which
	// comes once the stage has been moved into the container's cgroup.
	WaitJoin bool `json:"waitJoin,omitempty"`
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
	unix.Close(fdExecExe)
	var c ExecConfig
	report, err := recvExecConfig(os.NewFile(fdExecBoot, "exec-boot"), &c)
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
	if c.WaitJoin {
		var b [1]byte
		if n, err := report.Read(b[:]); err != nil || n != 1 || string(b[:]) != execGo {
			// The CLI could not move this process into the container's
			// cgroup and says why; nothing may run outside it.
			os.Exit(StatusError)
		}
	}
	fail(report, execSetup(&c, report))
}

// recvExecConfig reads the one bootstrap message and returns the report
// socket that came with it. nsenter holds the bootstrap socket as long as it
// runs; the report socket is this process's alone, so its closing on exec
// tells the CLI the command runs.
func recvExecConfig(boot *os.File, c *ExecConfig) (*os.File, error) {
	defer boot.Close()
	buf := make([]byte, maxExecConfig)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, flags, _, err := unix.Recvmsg(fdExecBoot, buf, oob, unix.MSG_CMSG_CLOEXEC)
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
	if err := json.Unmarshal(buf[:n], c); err != nil || c.Process == nil || len(c.Process.Args) == 0 {
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
// failure.
func execSetup(c *ExecConfig, report *os.File) *InitError {
	p := c.Process
	if c.Stdio {
		for i, fd := range []int{fdExecStdin, fdExecStdout, fdExecStderr} {
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
	return startProcess(p, c.Seccomp, terminal, nil)
}

// execStageArgs is the stage's command line after nsenter's options.
func execStageArgs() []string {
	return []string{"/proc/self/fd/" + strconv.Itoa(fdExecExe), execArg}
}
