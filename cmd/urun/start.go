package main

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
)

// StartCmd is `urun start`, the OCI runtime's: it opens the start gate of a
// created container, whose command then runs.
type StartCmd struct {
	ID string `arg:"" name:"id" help:"The id of a created container (urun create)."`
}

// Run starts the container and returns once its command runs.
func (s *StartCmd) Run() error {
	st, r, err := ociGet(s.ID)
	if err != nil {
		return usageError(err)
	}
	if status := ociStatus(r); status != specs.StateCreated {
		return usageError(fmt.Errorf("container %s is %s, not created: only a created container can be started (urun create)", r.ID, status))
	}
	if err := startOCI(st, r); err != nil {
		return usageError(err)
	}
	return nil
}

// startOCI asks the monitor of a created container to start it.
func startOCI(st *store.Store, r *store.Record) error {
	c, err := monitor.Dial(st.Path(r.ID, store.CtlSock))
	if err != nil {
		return fmt.Errorf("reaching the monitor of container %s: %w", r.ID, err)
	}
	defer c.Close()
	if err := c.Send(monitor.Message{Type: monitor.TStart}); err != nil {
		return fmt.Errorf("starting container %s: %w", r.ID, err)
	}
	m, err := c.Recv()
	switch {
	case err != nil:
		return fmt.Errorf("starting container %s: its monitor ended without an answer: %w", r.ID, err)
	case m.Type == monitor.TError:
		return fmt.Errorf("starting container %s: %s", r.ID, m.Data)
	case m.Type != monitor.TOK:
		return errors.New("starting container " + r.ID + ": unexpected answer from its monitor")
	}
	return nil
}
