package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/bundle"
	"github.com/urun-dev/urun/internal/procstat"
	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
	"golang.org/x/sys/unix"
)

// ociForm tells runc's `kill [--all] ID [SIGNAL]` from docker's `kill [-s
// SIG] CONTAINER...`: runc's when the first argument is the exact id of an
// OCI container (urun create, run --bundle) and at most one argument follows
// without -s (that argument is then the signal: an engine never names two
// containers), or when --all is given. It returns the id and the signal's
// text ("" for the default).
func (k *KillCmd) ociForm() (id, sig string, ok bool) {
	if len(k.Containers) == 0 || len(k.Containers) > 2 {
		return "", "", false
	}
	id = k.Containers[0]
	if len(k.Containers) == 2 {
		if k.Signal != "" {
			return "", "", false
		}
		sig = k.Containers[1]
	} else {
		sig = k.Signal
	}
	if k.All {
		return id, sig, true
	}
	if bundle.CheckID(id) != nil {
		return "", "", false
	}
	st, err := openStore()
	if err != nil {
		return "", "", false
	}
	r, err := st.Get(id)
	if err != nil || r.Bundle == "" {
		return "", "", false
	}
	return id, sig, true
}

// ociKill is runc's kill: the signal (default SIGTERM) to the container's
// PID 1, created or running; with all, to every process of it first.
func ociKill(id, sigText string, all bool) error {
	if sigText == "" {
		sigText = "TERM"
	}
	sig, err := parseSignal(sigText)
	if err != nil {
		return usageError(err)
	}
	st, r, err := ociGet(id)
	if err != nil {
		return usageError(err)
	}
	if ociStatus(r) == specs.StateStopped {
		return usageError(fmt.Errorf("container %s is stopped: there is nothing to signal", r.ID))
	}
	if all {
		// The processes the container's PID 1 started (in its PID
		// namespace, orphans are its children too). The user owns the
		// container's user namespace, which lets it signal them.
		for _, pid := range descendants(r.Pid) {
			_ = unix.Kill(pid, sig)
		}
	}
	if !r.Detached {
		if err := signalForeground(r, sig); err != nil {
			return usageError(err)
		}
		return nil
	}
	if err := sendSignal(st, r, sig); err != nil {
		return usageError(err)
	}
	return nil
}

// openPid1 returns a pidfd of r's PID 1, checked against its recorded
// start time after the open, so a reused pid is never signalled.
func openPid1(r *store.Record, verb string) (int, error) {
	fd, err := unix.PidfdOpen(r.Pid, 0)
	if err != nil {
		return -1, fmt.Errorf("container %s is not running; cannot %s it", r.ID, verb)
	}
	if !r.Alive() {
		unix.Close(fd)
		return -1, fmt.Errorf("container %s is not running; cannot %s it", r.ID, verb)
	}
	return fd, nil
}

// signalPid1 signals the PID 1 of a container its monitor has handed off
// (store.Record.HandedOff), as runc does: the signal as it is.
func signalPid1(r *store.Record, sig unix.Signal) error {
	fd, err := openPid1(r, "signal")
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("signalling container %s: %w", r.ID, err)
	}
	return nil
}

// endPid1 ends a handed-off container and returns once its PID 1 has
// ended (with it the PID namespace, its mounts and, once empty, its scope):
// SIGTERM, then SIGKILL after grace; SIGKILL at once when grace < 0 (rm -f).
func endPid1(r *store.Record, verb string, grace time.Duration) error {
	fd, err := openPid1(r, verb)
	if err != nil {
		return nil // gone already
	}
	defer unix.Close(fd)
	return terminate(fd, r.ID, grace)
}

// sendSignal asks the monitor of r to pass sig to its PID 1 (or signals it
// itself once the monitor has handed it off).
func sendSignal(st *store.Store, r *store.Record, sig unix.Signal) error {
	if r.HandedOff {
		return signalPid1(r, sig)
	}
	c, err := dial(st, r, "kill")
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.Send(monitor.Message{Type: monitor.TSignal, Value: int(sig)})
	if err == nil {
		var m monitor.Message
		m, err = c.Recv()
		if err == nil && m.Type == monitor.TError {
			err = fmt.Errorf("%s", m.Data)
		}
	}
	if err != nil {
		return fmt.Errorf("signalling container %s: %w", r.ID, err)
	}
	return nil
}

// descendants lists the processes below pid, from /proc/*/stat (readable
// for any process).
func descendants(root int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f, err := procstat.Fields(b)
		if err != nil || len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			parent[pid] = pp
		}
	}
	var out []int
	for pid := range parent {
		for p, n := parent[pid], 0; p > 1 && n < 4096; p, n = parent[p], n+1 {
			if p == root {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
