package main

import (
	"fmt"

	"github.com/urun-dev/urun/monitor"
)

// StopCmd is `urun stop`.
type StopCmd struct {
	Time       uint     `short:"t" name:"time" help:"Seconds to wait after SIGTERM before SIGKILL." default:"10" placeholder:"SECS"`
	Containers []string `arg:"" name:"container" help:"Id, id prefix or name."`
}

// Run stops each container: its monitor sends SIGTERM, then SIGKILL after
// the timeout, and answers once the container is gone. The monitor keeps the
// timer, so a stop whose CLI is killed still completes.
func (s *StopCmd) Run() error {
	for _, ref := range s.Containers {
		st, r, err := lookup(ref)
		if err != nil {
			return usageError(err)
		}
		c, err := dial(st, r, "stop")
		if err != nil {
			return usageError(err)
		}
		if err := c.Send(monitor.Message{Type: monitor.TStop, Value: int(s.Time)}); err != nil {
			c.Close()
			return usageError(fmt.Errorf("stopping container %s: %w", r.Name, err))
		}
		if _, err := waitExit(st, c, r.ID); err != nil {
			return usageError(err)
		}
		fmt.Println(ref)
	}
	return nil
}
