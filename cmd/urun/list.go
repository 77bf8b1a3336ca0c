package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ListCmd is `urun list`, the OCI runtime's (runc's table); `urun ps` is
// urun's own.
type ListCmd struct {
	Format string `short:"f" help:"Output format: table or json (runc's)." enum:"table,json" default:"table"`
	Quiet  bool   `short:"q" help:"Print only the ids."`
}

// listEntry is one container in runc's JSON list.
type listEntry struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

// Run lists every container of the store, oldest first.
func (l *ListCmd) Run() error {
	st, err := openStore()
	if err != nil {
		return usageError(err)
	}
	recs, err := st.List()
	if err != nil {
		return usageError(err)
	}
	owner := strconv.Itoa(os.Getuid())
	if u, err := user.LookupId(owner); err == nil {
		owner = u.Username
	}
	out := []listEntry{}
	for _, r := range recs {
		s := ociState(r)
		out = append(out, listEntry{Version: specs.Version, ID: r.ID, Pid: s.Pid, Status: string(s.Status),
			Bundle: r.Bundle, Rootfs: r.Rootfs, Created: r.Created, Annotations: r.Annotations, Owner: owner})
	}
	switch {
	case l.Quiet:
		for _, e := range out {
			fmt.Println(e.ID)
		}
	case l.Format == "json":
		b, err := json.Marshal(out)
		if err != nil {
			return usageError(fmt.Errorf("encoding the list: %w", err))
		}
		fmt.Println(string(b))
	default:
		w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprintln(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER")
		for _, e := range out {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", e.ID, e.Pid, e.Status, e.Bundle, e.Created.Format(time.RFC3339Nano), e.Owner)
		}
		return w.Flush()
	}
	return nil
}
