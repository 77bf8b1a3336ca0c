package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// The pieces of `urun exec` that engines use: runc's --console-socket (the
// pid file is written by oci.go's writePidFile, as for create).

// maxSunPath is the room for a path in a sockaddr_un (108 with its NUL).
const maxSunPath = 107

// dialConsole connects to the engine's console socket (a SOCK_STREAM Unix
// socket it listens on) before anything starts, so a bad path fails with
// nothing left. A path too long for a socket address is reached through
// its directory's descriptor.
func dialConsole(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("--console-socket %s: %w", path, err)
	}
	name := path
	if len(name) > maxSunPath {
		dir, err := os.OpenFile(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("--console-socket %s: %w", path, pathError(err))
		}
		defer dir.Close()
		name = "/proc/self/fd/" + strconv.Itoa(int(dir.Fd())) + "/" + filepath.Base(path)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: name}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("--console-socket %s: connecting: %w (give the path of a Unix socket your engine listens on)", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// sendConsole sends the terminal master over the console socket, runc's
// protocol: one message whose body is a name and whose SCM_RIGHTS carry the
// master. conmon and containerd's shim ignore the name; runc sends the
// master's, /dev/ptmx.
func sendConsole(sock, master *os.File) error {
	rc, err := master.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.Sendmsg(int(sock.Fd()), []byte("/dev/ptmx"), unix.UnixRights(int(fd)), nil, 0)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("sending the terminal over --console-socket %s: %w", sock.Name(), serr)
	}
	return nil
}

func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
