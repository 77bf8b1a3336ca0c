package userns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/urun-dev/urun/idmap"
	"golang.org/x/sys/unix"
)

// Helper stages: small jobs that must run as root of a user namespace with
// the user's subordinate ranges mapped, but in none of a container's other
// namespaces (`urun unshare`, unpacking a tarball, removing a tree of
// subordinate-id files). They are started the way the init stage is: cloned
// with CLONE_NEWUSER from the sealed copy of urun (never the host binary),
// with every capability ambient (execve as a not-yet-mapped uid would clear
// them otherwise), and blocked until the parent has written the maps with
// newuidmap/newgidmap. A package registers its helper by name from an init
// function; main dispatches to RunHelper.

// helperArg is the hidden argument that makes urun run a helper stage:
// urun-helper __urun_helper EXEFD NAME ARGS...
const helperArg = "__urun_helper"

// FdHelperExtra is the helper's first descriptor of HelperOptions.ExtraFiles;
// fd 3 is its sync pipe, read by RunHelper before the helper runs.
const FdHelperExtra = 4

var helpers = map[string]func(args []string){}

// RegisterHelper names a helper stage; call it from an init function. fn runs
// in the new user namespace, as its root once the maps are written, and must
// not return (it exits or execs).
func RegisterHelper(name string, fn func(args []string)) { helpers[name] = fn }

// IsHelper reports whether this process is a helper stage.
func IsHelper() bool { return len(os.Args) > 3 && os.Args[1] == helperArg }

// RunHelper runs the helper stage named in the arguments once the parent has
// written the id maps. It never returns.
func RunHelper() {
	if fd, err := strconv.Atoi(os.Args[2]); err == nil && fd > FdHelperExtra {
		// The sealed copy's descriptor: the running program needs only
		// the mapping, and whatever the helper execs gets no handle on it.
		unix.Close(fd)
	}
	fn := helpers[os.Args[3]]
	if fn == nil {
		fmt.Fprintf(os.Stderr, "urun: unknown helper stage %q\n", os.Args[3])
		os.Exit(StatusError)
	}
	sync := os.NewFile(3, "helper-sync")
	var b [1]byte
	if _, err := io.ReadFull(sync, b[:]); err != nil || b[0] != goByte {
		// The parent could not map the ids; it says why.
		os.Exit(StatusError)
	}
	sync.Close()
	fn(os.Args[4:])
	os.Exit(StatusError)
}

// HelperOptions says how to start a helper stage.
type HelperOptions struct {
	Name string   // as registered
	Args []string // the helper's arguments
	// Stdin, Stdout, Stderr: nil is /dev/null, as in exec.Cmd.
	Stdin                  io.Reader
	Stdout, Stderr         io.Writer
	Env                    []string
	ExtraFiles             []*os.File // fd FdHelperExtra and up in the helper
	Maps                   *idmap.Maps
	MountNS                bool // a mount namespace of its own as well
	Setsid                 bool
	DontKillWithThisThread bool // no Pdeathsig
}

// StartHelper starts a helper stage in a new user namespace, writes the maps
// and lets it run. The caller waits with the returned Cmd. Unless
// DontKillWithThisThread, the helper is killed when the calling OS thread
// exits: lock it (runtime.LockOSThread) for as long as the helper runs.
func StartHelper(o HelperOptions) (*exec.Cmd, error) {
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("making the helper's sync pipe: %w", err)
	}
	defer syncW.Close()
	exe, err := sealedExe()
	if err != nil {
		syncR.Close()
		return nil, err
	}
	defer exe.Close()
	extra := append([]*os.File{syncR}, o.ExtraFiles...)
	exeFd := 3 + len(extra)
	extra = append(extra, exe)
	flags := uintptr(unix.CLONE_NEWUSER)
	if o.MountNS {
		flags |= unix.CLONE_NEWNS
	}
	attr := &syscall.SysProcAttr{Cloneflags: flags, AmbientCaps: allCaps(), Setsid: o.Setsid}
	if !o.DontKillWithThisThread {
		attr.Pdeathsig = syscall.SIGKILL
	}
	env := o.Env
	if env == nil {
		env = []string{}
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/fd/" + strconv.Itoa(exeFd),
		Args:        append([]string{"urun-" + o.Name, helperArg, strconv.Itoa(exeFd), o.Name}, o.Args...),
		Env:         env,
		Stdin:       o.Stdin,
		Stdout:      o.Stdout,
		Stderr:      o.Stderr,
		ExtraFiles:  extra,
		SysProcAttr: attr,
	}
	err = cmd.Start()
	syncR.Close()
	if err != nil {
		return nil, fmt.Errorf("starting urun's %s stage in a user namespace: %w", o.Name, err)
	}
	if err := o.Maps.Apply(cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	if _, err := syncW.Write([]byte{goByte}); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("releasing urun's %s stage: %w", o.Name, err)
	}
	return cmd, nil
}

// ExitStatus turns the error of exec.Cmd.Wait into a shell status: the exit
// code, or 128+N for signal N.
func ExitStatus(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return StatusError, err
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}
