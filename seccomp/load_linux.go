package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs the filter on the calling thread with seccomp(2). The
// kernel allows it with no_new_privs set or with CAP_SYS_ADMIN in the
// current user namespace; the caller orders it so. Only the calling thread
// gets the filter (no TSYNC): it is the thread that execs, and the exec
// makes it the whole process, so the caller must have it locked.
func (p *Program) Load() error {
	n := p.Len()
	if n == 0 || len(p.Insns)%8 != 0 || n > maxInsns {
		return errors.New("loading the seccomp filter: the program is malformed")
	}
	filter := make([]unix.SockFilter, n)
	for i := range filter {
		b := p.Insns[8*i:]
		filter[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:]),
		}
	}
	prog := unix.SockFprog{Len: uint16(n), Filter: &filter[0]}
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(p.Flags), uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("loading the seccomp filter: %w", errno)
	}
	return nil
}
