package pty

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// OpenInContainer opens a new pseudo-terminal pair from /dev/ptmx. Called in
// the init stage after pivot_root, /dev/ptmx is the container's: the kernel
// allocates the pair in the devpts instance mounted on "pts" beside the ptmx
// node (or the one a /dev/ptmx -> pts/ptmx symlink points into), so the slave
// is a /dev/pts/N that exists inside the container and `tty` names it there.
// Both files are close-on-exec; the master is not to be kept across the exec of
// the command.
func OpenInContainer() (master, slave *os.File, err error) {
	return Open("/dev/ptmx")
}

// Open opens a new pseudo-terminal pair from the given ptmx device (a
// /dev/ptmx node, or a devpts instance's own ptmx). The slave is opened
// through the master (TIOCGPTPEER) rather than by path, so it is always the
// peer of this master even if a path in the container's /dev/pts is something
// else; the slave's name is the path the kernel reports for it.
func Open(ptmx string) (master, slave *os.File, err error) {
	mfd, err := unix.Open(ptmx, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open pseudo-terminal master %s: %w", ptmx, err)
	}
	master = os.NewFile(uintptr(mfd), ptmx)
	defer func() {
		if err != nil {
			master.Close()
		}
	}()
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return nil, nil, fmt.Errorf("unlock pseudo-terminal %s: %w", ptmx, err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return nil, nil, fmt.Errorf("get pseudo-terminal number from %s: %w", ptmx, err)
	}
	// The path is only a fallback for kernels before 4.13 and a name for
	// messages: the pts directory of the instance ptmx belongs to.
	dir := filepath.Dir(ptmx)
	if filepath.Base(dir) != "pts" {
		dir = filepath.Join(dir, "pts")
	}
	path := filepath.Join(dir, strconv.FormatUint(uint64(n), 10))

	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(mfd), unix.TIOCGPTPEER,
		uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if errno != 0 {
		if errno != unix.ENOTTY && errno != unix.EINVAL {
			return nil, nil, fmt.Errorf("open pseudo-terminal slave of %s: %w", ptmx, errno)
		}
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("open pseudo-terminal slave %s: %w", path, err)
		}
		sfd = uintptr(fd)
	}
	if name, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(sfd))); err == nil && filepath.IsAbs(name) {
		path = name
	}
	return master, os.NewFile(sfd, path), nil
}

// MakeControlling makes slave the controlling terminal of the calling process
// and puts it on fds 0, 1 and 2, so that the command exec'd next is a session
// leader whose controlling terminal is slave: its shell then does job control
// (Ctrl-C, Ctrl-Z, fg, bg) on it. It starts a new session (setsid) unless the
// process already leads one, takes the terminal (TIOCSCTTY without stealing it
// from another session) and closes slave's own descriptor if it is above 2.
// setsid and TIOCSCTTY act on the whole process, so the Go runtime's threads
// do not matter here.
func MakeControlling(slave *os.File) error {
	fd, err := fdOf(slave)
	if err != nil {
		return fmt.Errorf("make %s the controlling terminal: %w", slave.Name(), err)
	}
	if _, err := unix.Setsid(); err != nil {
		// EPERM: the caller is a process group leader. That is fine only if it
		// already leads its own session (e.g. it was started with Setsid).
		if sid, gerr := unix.Getsid(0); gerr != nil || sid != unix.Getpid() {
			return fmt.Errorf("start a new session for the terminal: %w", err)
		}
	}
	if err := unix.IoctlSetInt(fd, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("make %s the controlling terminal: %w", slave.Name(), err)
	}
	for target := 0; target <= 2; target++ {
		if fd == target {
			// Already in place: it only has to survive the exec.
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
				return fmt.Errorf("keep %s open across exec: %w", slave.Name(), err)
			}
			continue
		}
		if err := unix.Dup3(fd, target, 0); err != nil {
			return fmt.Errorf("put %s on fd %d: %w", slave.Name(), target, err)
		}
	}
	if fd > 2 {
		if err := slave.Close(); err != nil {
			return fmt.Errorf("close %s: %w", slave.Name(), err)
		}
	}
	return nil
}

// SetupInContainer is the whole container side in one call, for the init
// stage just before it execs the command: it opens a pair from the
// container's /dev/ptmx, sets its window size (rows or cols 0: left as is),
// makes the slave the controlling terminal on fds 0, 1 and 2 and sends the
// master over sock. It does not close sock.
func SetupInContainer(sock *os.File, rows, cols uint16) error {
	master, slave, err := OpenInContainer()
	if err != nil {
		return err
	}
	defer master.Close()
	if err := SetSize(master, rows, cols); err != nil {
		slave.Close()
		return err
	}
	if err := MakeControlling(slave); err != nil {
		slave.Close()
		return err
	}
	if err := SendFd(sock, master); err != nil {
		return err
	}
	return master.Close()
}

// SetSize sets the window size of a terminal (either side of a pair). Rows or
// cols 0 means "unknown": nothing is changed. It does not put f in blocking
// mode (unlike calling f.Fd()), so it is safe on a master the relay reads.
func SetSize(f *os.File, rows, cols uint16) error {
	if rows == 0 || cols == 0 {
		return nil
	}
	return setWinsize(f, &unix.Winsize{Row: rows, Col: cols})
}

// GetSize returns the window size of terminal f.
func GetSize(f *os.File) (rows, cols uint16, err error) {
	ws, err := getWinsize(f)
	if err != nil {
		return 0, 0, err
	}
	return ws.Row, ws.Col, nil
}

// IsTerminal reports whether f is a terminal. It does not change f's
// blocking mode.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fd, err := fdOf(f)
	if err != nil {
		return false
	}
	_, err = unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

func getWinsize(f *os.File) (*unix.Winsize, error) {
	var ws *unix.Winsize
	err := control(f, func(fd int) (err error) {
		ws, err = unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get window size of %s: %w", f.Name(), err)
	}
	return ws, nil
}

func setWinsize(f *os.File, ws *unix.Winsize) error {
	err := control(f, func(fd int) error { return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, ws) })
	if err != nil {
		return fmt.Errorf("set window size of %s: %w", f.Name(), err)
	}
	return nil
}

// control runs fn with f's descriptor without f.Fd()'s side effect of
// switching a pollable file to blocking mode.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// fdOf returns f's descriptor number without changing its blocking mode. The
// number stays valid only while f is open.
func fdOf(f *os.File) (int, error) {
	fd := -1
	err := control(f, func(n int) error { fd = n; return nil })
	if err == nil && fd < 0 {
		err = errors.New("no descriptor")
	}
	return fd, err
}
