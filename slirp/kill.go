package slirp

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/urun-dev/urun/internal/procstat"
	"golang.org/x/sys/unix"
)

// pfExiting is the kernel's PF_EXITING task flag (include/linux/sched.h): set
// by do_exit before anything else, so a task that has it never returns to
// user space again.
const pfExiting = 0x4

// kill ends slirp4netns without waiting for the kernel to finish its exit.
// A slirp4netns that exits (on its exit fd or a signal) closes tap0's fd on
// the way out, and the kernel then unregisters the interface synchronously,
// waiting for RCU grace periods: 10-40 ms here, most of a run's teardown
// with the default network. What urun guarantees is that slirp4netns can
// run no more code once urun has gone, and that the ports it published are
// free: it sends SIGKILL (through the pidfd Go keeps, so never to a reused
// pid), waits until the kernel marks every thread exiting (or the process
// is gone), then until each published port can be bound again. The exiting
// process is reaped by urun if urun is still there, else by its new parent.
// false means this could not be shown (no /proc, a port still held past the
// bound): the caller then waits for the exit as before.
func (s *Slirp) kill() bool {
	if s.procDir == nil {
		return false
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		// Already gone (os.ErrProcessDone): reaped, so dead.
		return errors.Is(err, os.ErrProcessDone)
	}
	deadline := time.Now().Add(closeTimeout)
	for !exiting(s.procDir) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Microsecond)
	}
	// Its sockets close in its exit, as its tap does; the listening ones
	// were opened after the tap and close before it (the kernel releases
	// an exiting task's files last opened first), so this is quick.
	for _, pm := range s.ports {
		for CheckPort(pm) != nil {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return true
}

// exiting reports whether every thread of the process whose /proc
// directory dir is has PF_EXITING, or the process is gone (the directory
// was opened while it was an unreaped child, so it is never another
// process's).
func exiting(dir *os.File) bool {
	fd, err := unix.Openat(int(dir.Fd()), "task", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return true
	}
	tasks := os.NewFile(uintptr(fd), "task")
	defer tasks.Close()
	names, err := tasks.Readdirnames(-1)
	if err != nil || len(names) == 0 {
		return true
	}
	for _, n := range names {
		b, err := readAt(int(tasks.Fd()), n+"/stat")
		if err != nil {
			continue // that thread is gone
		}
		if !taskExiting(b) {
			return false
		}
	}
	return true
}

// taskExiting reads /proc/PID/task/TID/stat: after the ")" that ends the
// command name come the state (3rd field) and the flags (9th).
func taskExiting(stat []byte) bool {
	f, err := procstat.Fields(stat)
	if err != nil || len(f) < 7 {
		return false
	}
	if st := f[0]; st == "Z" || st == "X" || st == "x" {
		return true
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return err == nil && flags&pfExiting != 0
}

func readAt(dirfd int, name string) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 1024)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}
