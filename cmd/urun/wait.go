package main

import (
	"fmt"

	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
)

// WaitCmd is `urun wait`.
type WaitCmd struct {
	Containers []string `arg:"" name:"container" help:"Id, id prefix or name."`
}

// Run waits for each container to exit, prints its status, and exits with
// the last one's.
func (w *WaitCmd) Run() error {
	last := 0
	for _, ref := range w.Containers {
		st, r, err := lookup(ref)
		if err != nil {
			return usageError(err)
		}
		code, err := waitOne(st, r)
		if err != nil {
			return usageError(err)
		}
		fmt.Println(code)
		last = code
	}
	return exitError(last)
}

func waitOne(st *store.Store, r *store.Record) (int, error) {
	if r.Status == store.Exited {
		if r.ExitCode == nil {
			return 0, fmt.Errorf("container %s ended without a status: %s", r.Name, r.Error)
		}
		return *r.ExitCode, nil
	}
	c, err := monitor.Dial(st.Path(r.ID, store.CtlSock))
	if err != nil {
		if again, gerr := st.Get(r.ID); gerr == nil && again.Status == store.Exited {
			return waitOne(st, again)
		}
		if !r.Detached {
			return 0, fmt.Errorf("container %s runs in the foreground of another terminal; it has no control socket to wait on", r.Name)
		}
		return 0, fmt.Errorf("reaching the monitor of container %s: %w", r.Name, err)
	}
	// A send that fails means the monitor is closing down (the container
	// just ended): waitExit then reads the status from the record.
	_ = c.Send(monitor.Message{Type: monitor.TWait})
	return waitExit(st, c, r.ID)
}
