package userns

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/urun-dev/urun/idmap"
	"golang.org/x/sys/unix"
)

const unshareHelper = "unshare"

func init() { RegisterHelper(unshareHelper, unshareStage) }

// Unshare runs the host command args as root of a new user namespace with
// the maps planned (the user's subordinate ranges, as for a container) and
// a mount namespace of its own; nothing else changes: same files, working
// directory, environment, terminal and process group. It returns the
// command's status (128+N for signal N) as podman unshare does.
func Unshare(args []string, maps *idmap.Maps) (int, error) {
	// Ctrl-C and Ctrl-\ reach the command from the terminal directly (same
	// process group); urun waits for it to decide, so it catches and drops
	// them (caught, not ignored: an ignored signal would stay ignored in
	// the command across exec). Other signals sent to urun are passed on.
	drop := make(chan os.Signal, 4)
	signal.Notify(drop, syscall.SIGINT, syscall.SIGQUIT)
	fwd := make(chan os.Signal, 4)
	signal.Notify(fwd, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(fwd)
	defer signal.Stop(drop)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd, err := StartHelper(HelperOptions{
		Name: unshareHelper, Args: args, Env: os.Environ(),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Maps: maps, MountNS: true,
	})
	if err != nil {
		return StatusError, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case <-drop:
		case s := <-fwd:
			_ = cmd.Process.Signal(s)
		case err := <-done:
			return ExitStatus(err)
		}
	}
}

// unshareStage runs in the new namespaces as their root: it execs the
// command, found in the caller's PATH.
func unshareStage(args []string) {
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: unshare: %s: command not found\n", args[0])
		os.Exit(StatusNotFound)
	}
	// The command runs as uid 0, which gets every capability of the
	// namespace at its exec anyway; the ambient set the stage was started
	// with would stay with whatever non-root program it runs. Per thread:
	// the exec comes from this one.
	runtime.LockOSThread()
	_ = unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
	err = unix.Exec(path, args, os.Environ())
	fmt.Fprintf(os.Stderr, "urun: unshare: cannot run %s: %v\n", path, err)
	os.Exit(StatusNotExecutable)
}
