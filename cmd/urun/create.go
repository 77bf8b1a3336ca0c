package main

import (
	"strings"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/monitor"
)

// CreateCmd is `urun create`, the OCI runtime's: the container is set up
// (namespaces, id maps, scope, mounts, pivot_root, createRuntime hooks) and
// waits for `urun start` under a monitor; create returns once it is created.
type CreateCmd struct {
	OCIFlags `embed:""`
	ID       string `arg:"" name:"id" help:"The container's id (letters, digits, '_', '+', '-', '.')."`
}

// Run creates the container. Without a terminal the container's stdio is
// create's own (engines pass pipes or fifos and read them directly).
func (c *CreateCmd) Run(g *Globals) error {
	cfg, err := ociContainer(g, &c.OCIFlags, c.ID, true)
	if err != nil {
		return usageError(err)
	}
	return exitError(launchOCI(cfg))
}

// launchOCI starts the monitor of an OCI container and returns once it is
// created (0) or could not be (the status; the monitor's lines are on
// stderr already, and in --log).
func launchOCI(cfg *container.Config) int {
	cfg.Detached = true
	var lines []string
	status := monitor.Launch(cfg, monitor.Options{
		OCI: &monitor.OCIOptions{Bundle: cfg.OCI.Bundle, ConsoleSocket: cfg.OCI.ConsoleSocket, PidFile: cfg.OCI.PidFile},
		Message: func(line string) {
			lines = append(lines, strings.TrimPrefix(line, "urun: "))
		},
	})
	// The monitor's last line of a failed create is the error; what came
	// before are --debug lines (and notices).
	for i, l := range lines {
		if status != 0 && i == len(lines)-1 {
			errLog.Error(l)
		} else {
			errLog.Debugf("%s", l)
		}
	}
	return status
}
