package main

import (
	"fmt"
	"os"

	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
)

// LogsCmd is `urun logs`.
type LogsCmd struct {
	Follow     bool   `short:"f" help:"Keep printing what the container writes until it exits."`
	Tail       string `help:"Print only the last N lines (or all)." placeholder:"N" default:"all"`
	Timestamps bool   `short:"t" help:"Prefix every line with the time it was written."`
	Container  string `arg:"" help:"Id, id prefix or name."`
}

// Run prints the container's log: its stdout on stdout, its stderr on
// stderr.
func (l *LogsCmd) Run() error {
	n, err := monitor.ParseTail(l.Tail)
	if err != nil {
		return usageError(err)
	}
	st, r, err := lookup(l.Container)
	if err != nil {
		return err
	}
	if !r.Detached {
		return fmt.Errorf("container %s (%s) runs in the foreground: its output goes to its terminal, not to a log", r.Name, r.ID)
	}
	running := func() bool {
		again, err := st.Get(r.ID)
		return err == nil && again.Status != store.Exited
	}
	return monitor.CopyLog(st.Path(r.ID, store.LogFile), monitor.LogOptions{
		Tail: n, Timestamps: l.Timestamps, Follow: l.Follow, Running: running,
	}, os.Stdout, os.Stderr)
}
