package main

import (
	"strings"

	"github.com/alecthomas/kong"
)

// runOnlyCLI is CLI with the run verb alone. kong.New reflects over every
// verb's flags and tags to build its model, 1.5-3.5 ms of each start here,
// the largest cost in urun before the container exists; `urun run ...`,
// which CI jobs type thousands of times, needs one verb's model. The parse
// of the arguments is the same as with the whole CLI (same struct, tags and
// options).
type runOnlyCLI struct {
	Globals `embed:""`

	Run RunCmd `cmd:"" help:"Run a command in a new container."`
}

// runOnlyParser returns the parser for args that begin with the run verb,
// or nil for anything else: other verbs, the default verb (urun ROOTFS),
// global flags before the verb, and any help request, whose text lists the
// other verbs.
func runOnlyParser(args []string) (*kong.Kong, *Globals, error) {
	if len(args) == 0 || args[0] != "run" {
		return nil, nil, nil
	}
	for _, a := range args {
		if a == "-h" || a == "--help" || strings.HasPrefix(a, "--help=") {
			return nil, nil, nil
		}
	}
	var cli runOnlyCLI
	p, err := kong.New(&cli, append(parserOptions(&cli.Globals), kong.PostBuild(dropHelp))...)
	return p, &cli.Globals, err
}

// dropHelp empties the help texts of the run-only model, which never prints
// them (a help request takes the whole CLI, and a parse error names the flag,
// not its help). kong.New interpolates ${vars} into every text with a
// regular expression, even one without a '$': for run's flags that was
// 1.5 ms of each start here, as much as building the model.
func dropHelp(k *kong.Kong) error {
	return kong.Visit(k.Model.Node, func(v kong.Visitable, next kong.Next) error {
		switch v := v.(type) {
		case *kong.Node:
			v.Help, v.Detail = "", ""
		case *kong.Value:
			v.Help = ""
		}
		return next(nil)
	})
}
