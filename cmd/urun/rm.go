package main

import (
	"fmt"
	"syscall"

	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
	"golang.org/x/sys/unix"
)

// RmCmd is `urun rm`.
type RmCmd struct {
	Force      bool     `short:"f" help:"Kill a running container first (SIGKILL)."`
	Containers []string `arg:"" name:"container" help:"Id, id prefix or name."`
}

// Run removes each container's record, log and name. Each is looked up
// before any is removed, so one bad name removes nothing.
func (c *RmCmd) Run() error {
	st, err := openStore()
	if err != nil {
		return usageError(err)
	}
	var recs []*store.Record
	for _, ref := range c.Containers {
		r, err := st.Lookup(ref)
		if err != nil {
			return usageError(err)
		}
		if r.Status != store.Exited && !c.Force {
			return usageError(fmt.Errorf("container %s (%s) is running: stop it first (urun stop %s), or use rm -f", r.Name, r.ID, r.Name))
		}
		recs = append(recs, r)
	}
	for i, r := range recs {
		if r.Status != store.Exited {
			if err := kill9(st, r); err != nil {
				return usageError(err)
			}
		}
		if err := st.Remove(r.ID); err != nil {
			return usageError(err)
		}
		fmt.Println(c.Containers[i])
	}
	return nil
}

// kill9 kills a running container and waits until its monitor has recorded
// the end (and so has stopped its scope, slirp4netns and mounts).
func kill9(st *store.Store, r *store.Record) error {
	if r.HandedOff {
		return endPid1(r, "kill", -1)
	}
	if !r.Detached {
		// A foreground urun killed with SIGKILL takes its container and
		// everything of it along (Pdeathsig, PID namespace, the scope).
		fd, err := openForeground(r, "remove")
		if err != nil {
			return nil
		}
		defer unix.Close(fd)
		_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		exited(fd, -1)
		return nil
	}
	c, err := dial(st, r, "remove")
	if err != nil {
		return err
	}
	// A send that fails is a monitor closing down: waitOne sees the end.
	_ = c.Send(monitor.Message{Type: monitor.TSignal, Value: int(syscall.SIGKILL)})
	c.Close()
	if _, err := waitOne(st, r); err != nil {
		if _, gerr := st.Get(r.ID); gerr != nil {
			// Gone already (--rm): nothing left to wait for.
			return nil
		}
		return err
	}
	return nil
}
