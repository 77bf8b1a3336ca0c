package main

import (
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/store"
)

// InspectCmd is `urun inspect`.
type InspectCmd struct {
	Containers []string `arg:"" name:"container" help:"Id, id prefix or name."`
}

// inspected is one container as inspect shows it: the record, where its
// files are, and the spec it runs (what exec needs: the process's user,
// capabilities, environment).
type inspected struct {
	*store.Record
	Dir    string      `json:"dir"`
	Config *specs.Spec `json:"config,omitempty"`
}

// Run prints the containers as a JSON array, as docker's inspect.
func (c *InspectCmd) Run() error {
	st, err := openStore()
	if err != nil {
		return err
	}
	var out []inspected
	for _, ref := range c.Containers {
		r, err := st.Lookup(ref)
		if err != nil {
			return err
		}
		in := inspected{Record: r, Dir: st.Dir(r.ID)}
		if s, err := st.ReadSpec(r.ID); err == nil {
			in.Config = s
		}
		out = append(out, in)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}
