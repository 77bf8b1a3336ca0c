package main

import (
	"fmt"
	"time"

	"github.com/urun-dev/urun/store"
	"golang.org/x/sys/unix"
)

// A foreground container's monitor is the `urun run` in the user's terminal,
// which has no control socket: kill and stop reach it with the signals it
// already passes on to the container (and SIGKILL, which ends it and, by
// Pdeathsig, the container). The signal goes through a pidfd opened while the
// record's start time still matches, so a reused pid is never signalled.

// foregroundSignals are those a foreground urun passes on (container.Run).
var foregroundSignals = map[unix.Signal]bool{
	unix.SIGINT: true, unix.SIGTERM: true, unix.SIGHUP: true, unix.SIGQUIT: true,
	unix.SIGUSR1: true, unix.SIGUSR2: true, unix.SIGKILL: true,
}

// openForeground returns a pidfd of the foreground urun of r.
func openForeground(r *store.Record, verb string) (int, error) {
	fd, err := unix.PidfdOpen(r.MonitorPid, 0)
	if err != nil {
		return -1, errNotRunning(r, verb)
	}
	// Checked after the open: from here on fd is that process or none.
	if !r.MonitorAlive() {
		unix.Close(fd)
		return -1, errNotRunning(r, verb)
	}
	return fd, nil
}

// signalForeground sends sig to a foreground container through its urun.
func signalForeground(r *store.Record, sig unix.Signal) error {
	if !foregroundSignals[sig] {
		return fmt.Errorf("container %s runs in the foreground, whose urun passes on only INT, TERM, HUP, QUIT, USR1, USR2 and KILL, not %s", r.Name, unix.SignalName(sig))
	}
	fd, err := openForeground(r, "kill")
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		return fmt.Errorf("signalling container %s: %w", r.Name, err)
	}
	return nil
}

// stopForeground sends SIGTERM, then SIGKILL after timeout, to a foreground
// container's urun, and returns once it has ended.
func stopForeground(r *store.Record, timeout time.Duration) error {
	fd, err := openForeground(r, "stop")
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return terminate(fd, r.Name, timeout)
}

// terminate ends the process of pidfd fd, which stands for container name,
// and returns once it has ended: SIGTERM, then SIGKILL after grace; SIGKILL
// at once when grace < 0. A process already gone counts as ended.
func terminate(fd int, name string, grace time.Duration) error {
	if grace >= 0 {
		if err := unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0); err != nil && err != unix.ESRCH {
			return fmt.Errorf("stopping container %s: %w", name, err)
		}
		if exited(fd, grace) {
			return nil
		}
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("killing container %s: %w", name, err)
	}
	exited(fd, -1)
	return nil
}

// exited waits for the process of pidfd fd to end, at most d (forever when
// d < 0): a pidfd is readable once its process has exited.
func exited(fd int, d time.Duration) bool {
	ms := -1
	if d >= 0 {
		ms = int(d / time.Millisecond)
	}
	for {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms)
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0
	}
}
