package main

import (
	"os"

	"github.com/urun-dev/urun/spec"
)

// ProcessFlags say what runs and as whom: environment, work directory,
// hostname, terminal.
type ProcessFlags struct {
	Hostname    string   `help:"Hostname inside the container (default: the container id)." placeholder:"NAME"`
	Env         []string `short:"e" sep:"none" help:"Set an environment variable (KEY=VALUE; KEY alone copies it from your environment). Repeatable." placeholder:"KEY=VALUE"`
	Workdir     string   `short:"w" help:"Working directory inside the container (default /)." placeholder:"DIR"`
	TTY         *bool    `name:"tty" short:"t" negatable:"" help:"Give the container a terminal of its own (the default when stdin is a terminal; --no-tty: plain pipes even then). With -t, stdin must be a terminal."`
	Interactive bool     `short:"i" help:"Keep stdin open for the container. urun always does; accepted for docker compatibility (-it)."`
}

func (f *ProcessFlags) apply(o *runOptions) error {
	var err error
	if o.Terminal, err = f.terminal(os.Stdin, os.Stdout); err != nil {
		return err
	}
	if o.Env, err = spec.ParseEnv(f.Env, os.LookupEnv); err != nil {
		return err
	}
	if o.Workdir, err = spec.ParseWorkdir(f.Workdir); err != nil {
		return err
	}
	if f.Hostname != "" {
		if o.Hostname, err = spec.ParseHostname(f.Hostname); err != nil {
			return err
		}
	}
	return nil
}
