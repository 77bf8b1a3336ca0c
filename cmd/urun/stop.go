package main

import (
	"fmt"
	"time"

	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
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
		if !r.Detached && r.Status != store.Exited {
			if err := stopForeground(r, time.Duration(s.Time)*time.Second); err != nil {
				return usageError(err)
			}
			fmt.Println(ref)
			continue
		}
		if r.HandedOff && r.Status != store.Exited {
			if err := endPid1(r, "stop", time.Duration(s.Time)*time.Second); err != nil {
				return usageError(err)
			}
			fmt.Println(ref)
			continue
		}
		c, err := dial(st, r, "stop")
		if err != nil {
			return usageError(err)
		}
		// A failed send is a monitor closing down: the record tells.
		_ = c.Send(monitor.Message{Type: monitor.TStop, Value: int(s.Time)})
		if _, err := waitExit(st, c, r.ID); err != nil {
			return usageError(err)
		}
		fmt.Println(ref)
	}
	return nil
}
