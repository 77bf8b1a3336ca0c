package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
)

// storeRoot is the global --root: the store's directory when an engine
// names one, "" for the user's own.
var storeRoot string

// openStore opens the container store.
func openStore() (*store.Store, error) { return store.Open(storeRoot) }

// lookup finds one container by id, id prefix or name.
func lookup(ref string) (*store.Store, *store.Record, error) {
	st, err := openStore()
	if err != nil {
		return nil, nil, err
	}
	r, err := st.Lookup(ref)
	return st, r, err
}

// errNotRunning is the one line for a verb that needs a running container.
func errNotRunning(r *store.Record, verb string) error {
	return fmt.Errorf("container %s (%s) is not running; cannot %s it (see 'urun ps -a')", r.Name, r.ID, verb)
}

// dial connects to the monitor of a running container. A foreground run has
// no control socket: its monitor is the urun in the user's terminal.
func dial(st *store.Store, r *store.Record, verb string) (*monitor.Conn, error) {
	if r.Status == store.Exited {
		return nil, errNotRunning(r, verb)
	}
	c, err := monitor.Dial(st.Path(r.ID, store.CtlSock))
	if err != nil {
		if !r.Detached {
			return nil, fmt.Errorf("container %s (%s) runs in the foreground of another terminal, which has no control socket to %s it through; use that terminal, or urun stop or kill", r.Name, r.ID, verb)
		}
		if again, lerr := st.Get(r.ID); lerr != nil || again.Status == store.Exited {
			return nil, errNotRunning(r, verb)
		}
		return nil, fmt.Errorf("reaching the monitor of container %s: %w", r.Name, err)
	}
	return c, nil
}

// waitExit reads messages until the monitor sends the exit status. If the
// monitor goes away without one (it was killed), the record says how it
// ended.
func waitExit(st *store.Store, c *monitor.Conn, id string) (int, error) {
	defer c.Close()
	for {
		m, err := c.Recv()
		if err != nil {
			break
		}
		switch m.Type {
		case monitor.TExit:
			return m.Value, nil
		case monitor.TError:
			return 0, errors.New(string(m.Data))
		}
	}
	for i := 0; i < 50; i++ {
		r, err := st.Get(id)
		if err != nil {
			return 0, fmt.Errorf("the container was removed before its status could be read")
		}
		if r.Status == store.Exited && r.ExitCode != nil {
			return *r.ExitCode, nil
		}
		if r.Status == store.Exited {
			return 0, fmt.Errorf("container %s ended without a status: %s", r.Name, r.Error)
		}
		// The monitor is still writing the record.
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("the monitor of container %s closed its socket but the container still runs", id)
}
