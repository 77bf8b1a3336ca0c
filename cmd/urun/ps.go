package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/urun-dev/urun/store"
)

// PsCmd is `urun ps`.
type PsCmd struct {
	All    bool   `short:"a" help:"Show every container, not only running ones."`
	Quiet  bool   `short:"q" help:"Print only the ids."`
	Format string `help:"Output format: table (the default) or json (the records, as urun inspect gives them)." placeholder:"FORMAT" enum:"table,json" default:"table"`
}

// Run lists the containers. It reads the store only: it starts nothing.
func (p *PsCmd) Run() error {
	st, err := openStore()
	if err != nil {
		return err
	}
	recs, err := st.List()
	if err != nil {
		return err
	}
	shown := []*store.Record{}
	for _, r := range recs {
		if p.All || r.Status != store.Exited {
			shown = append(shown, r)
		}
	}
	switch {
	case p.Quiet:
		for _, r := range shown {
			fmt.Println(r.ID)
		}
	case p.Format == "json":
		b, err := json.MarshalIndent(shown, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	default:
		w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
		fmt.Fprintln(w, "CONTAINER ID\tNAME\tCOMMAND\tCREATED\tSTATUS\tPORTS")
		for _, r := range shown {
			cmd := strings.Join(r.Command, " ")
			if len(cmd) > 30 {
				cmd = cmd[:27] + "..."
			}
			fmt.Fprintf(w, "%s\t%s\t%q\t%s ago\t%s\t%s\n", r.ID, r.Name, cmd,
				units.HumanDuration(time.Since(r.Created)), status(r), strings.Join(r.Ports, ", "))
		}
		w.Flush()
	}
	return nil
}

// status is docker's STATUS column.
func status(r *store.Record) string {
	switch r.Status {
	case store.Running:
		s := "Up"
		if r.Started != nil {
			s += " " + units.HumanDuration(time.Since(*r.Started))
		}
		if !r.Detached {
			s += " (foreground)"
		}
		return s
	case store.Exited:
		code := "?"
		if r.ExitCode != nil {
			code = fmt.Sprint(*r.ExitCode)
		}
		s := "Exited (" + code + ")"
		if r.Finished != nil {
			s += " " + units.HumanDuration(time.Since(*r.Finished)) + " ago"
		}
		if r.Error != "" {
			s += ": " + r.Error
		}
		return s
	}
	return "Created"
}
