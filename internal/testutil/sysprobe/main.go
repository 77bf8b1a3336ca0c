// Command sysprobe makes single syscalls for the seccomp integration tests
// and prints what the kernel said: busybox has no tool for keyctl,
// io_uring_setup or clone3. The tests copy this static binary into a copy of
// the test rootfs. Each argument is one probe; each prints "NAME: ok" or
// "NAME: ERRNO" (EPERM, ENOSYS, ...) on a line of its own.
package main

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sysprobe keyctl|io_uring_setup|clone3|unshare-user|mkdir:PATH ...")
		os.Exit(2)
	}
	for _, p := range os.Args[1:] {
		var errno unix.Errno
		name := p
		switch {
		case p == "keyctl":
			// KEYCTL_GET_KEYRING_ID of the session keyring, creating none.
			_, _, errno = unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, uintptr(0xfffffffd), 0)
		case p == "io_uring_setup":
			var params [120]byte // struct io_uring_params, zeroed
			fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&params[0])), 0)
			errno = e
			if e == 0 {
				unix.Close(int(fd))
			}
		case p == "clone3":
			// A size of 0 is invalid: without a filter the kernel says
			// EINVAL and creates nothing; the default profile says ENOSYS.
			_, _, errno = unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)
		case p == "unshare-user":
			// Go is multi-threaded, so without a filter the kernel says
			// EINVAL; a filter's refusal is EPERM.
			_, _, errno = unix.RawSyscall(unix.SYS_UNSHARE, unix.CLONE_NEWUSER, 0, 0)
		case len(p) > 6 && p[:6] == "mkdir:":
			name = "mkdir"
			if err := unix.Mkdir(p[6:], 0o755); err != nil {
				errno = err.(unix.Errno)
			}
		default:
			fmt.Fprintln(os.Stderr, "sysprobe: unknown probe", p)
			os.Exit(2)
		}
		if errno == 0 {
			fmt.Printf("%s: ok\n", name)
		} else {
			fmt.Printf("%s: %s\n", name, unix.ErrnoName(errno))
		}
	}
}
