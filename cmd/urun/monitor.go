package main

import "github.com/urun-dev/urun/monitor"

// MonitorCmd is the hidden `urun monitor`: urun re-executed by `urun run -d`
// to supervise one container (package monitor). It reads its config from the
// pipe its caller passes; a person never types it.
type MonitorCmd struct{}

// Run supervises the container until it ends.
func (MonitorCmd) Run() error { return exitError(monitor.Main()) }
