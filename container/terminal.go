package container

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// socketpair makes the console socket: a SOCK_SEQPACKET pair (one message,
// one terminal master) whose second end goes to the init stage.
func socketpair() (parent, stage *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("making the console socket: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "console-socket"), os.NewFile(uintptr(fds[1]), "console-socket"), nil
}
