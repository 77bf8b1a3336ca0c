package main

import (
	"errors"

	"github.com/urun-dev/urun/container"
)

// runBundle is `urun run --bundle DIR [--detach] ID`, the OCI runtime's run:
// create + start + wait. --bundle tells it from `urun run ROOTFS CMD`: with
// it, the one argument is the container's id and the command is the
// config's. In the foreground the container has the user's stdio (a
// terminal of its own relayed to the user's when config.json asks for one)
// and urun exits with its status; with --detach it is `urun create` then
// `urun start`.
func (r *RunCmd) runBundle(g *Globals) error {
	if len(r.Command) > 0 {
		return usageError(errors.New("urun run --bundle DIR ID takes no command: the command is process.args of the bundle's config.json"))
	}
	cfg, err := ociContainer(g, &r.OCIFlags, r.Rootfs, r.Detach)
	if err != nil {
		return usageError(err)
	}
	if !r.Detach {
		return exitError(container.Run(cfg))
	}
	if status := launchOCI(cfg); status != 0 {
		return exitError(status)
	}
	st, rec, err := ociGet(cfg.ID)
	if err != nil {
		return usageError(err)
	}
	if err := startOCI(st, rec); err != nil {
		return usageError(err)
	}
	return nil
}
