package main

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/store"
)

// DeleteCmd is `urun delete`, the OCI runtime's.
type DeleteCmd struct {
	Force bool   `short:"f" help:"Kill a created or running container first (SIGKILL)."`
	ID    string `arg:"" name:"id" help:"The container's id."`
}

// Run removes a stopped container: its poststop hooks run, then its record
// goes. A created or running one is refused without --force, as the spec
// says; with it, it is killed and its monitor has torn everything down
// (process, mounts, scope) before the record goes.
func (d *DeleteCmd) Run() error {
	st, r, err := ociGet(d.ID)
	if err != nil {
		if d.Force && d.ID != "" {
			// runc's: a forced delete of what is not there (an engine's
			// cleanup after a failed create) succeeds.
			return nil
		}
		return usageError(err)
	}
	if status := ociStatus(r); status != specs.StateStopped {
		if !d.Force {
			return usageError(fmt.Errorf("container %s is %s: stop it first (urun kill %s KILL), or use delete --force", r.ID, status, r.ID))
		}
		if err := kill9(st, r); err != nil {
			return usageError(err)
		}
		if again, err := st.Get(r.ID); err == nil {
			r = again
		}
	}
	if r.Status != store.Exited && r.Detached && !r.HandedOff {
		// PID 1 is gone but its monitor is still tearing down (scope,
		// network, mounts) and writing the end: wait for it, so that
		// nothing is left once delete returns.
		if _, err := waitOne(st, r); err == nil {
			if again, err := st.Get(r.ID); err == nil {
				r = again
			}
		}
	}
	poststop(st, r)
	if err := st.Remove(r.ID); err != nil {
		return usageError(err)
	}
	return nil
}
