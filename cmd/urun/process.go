package main

import (
	"os"

	"github.com/urun-dev/urun/spec"
	"github.com/urun-dev/urun/usergroup"
)

// ProcessFlags say what runs and as whom: environment, work directory,
// hostname, terminal.
type ProcessFlags struct {
	Hostname    string   `help:"Hostname inside the container (default: the container id)." placeholder:"NAME"`
	Env         []string `short:"e" sep:"none" help:"Set an environment variable (KEY=VALUE; KEY alone copies it from your environment). Repeatable." placeholder:"KEY=VALUE"`
	Workdir     string   `short:"w" help:"Working directory inside the container (default /); created, owned by the container user, when missing." placeholder:"DIR"`
	TTY         *bool    `name:"tty" short:"t" negatable:"" help:"Give the container a terminal of its own (the default when stdin is a terminal; --no-tty: plain pipes even then). With -t, stdin must be a terminal."`
	Interactive bool     `short:"i" help:"Keep stdin open for the container. urun always does; accepted for docker compatibility (-it)."`

	User     string   `short:"u" help:"Run the command as USER[:GROUP] (names from the container's /etc/passwd and /etc/group, or numbers; default root, or your own ids with --userns keep-id)." placeholder:"USER[:GROUP]"`
	GroupAdd []string `name:"group-add" sep:"none" help:"Add a supplementary group (a name from the container's /etc/group, or a number). Repeatable." placeholder:"GROUP"`
	UserNS   string   `name:"userns" help:"User namespace mode: keep-id (your uid and gid are the same inside as outside, and the command runs as you) or host (container root is you; the default)." placeholder:"MODE"`
	Ulimit   []string `name:"ulimit" sep:"none" help:"Resource limit NAME=SOFT[:HARD] as docker's (nofile, nproc, core, stack, ...; -1 is unlimited). Repeatable." placeholder:"NAME=SOFT[:HARD]"`
}

func (f *ProcessFlags) apply(o *runOptions) error {
	var err error
	if o.detached {
		// A detached container's terminal is the monitor's, not the
		// user's: only -t asks for one, and stdin need not be a terminal.
		o.Terminal = f.TTY != nil && *f.TTY
	} else if o.Terminal, err = f.terminal(os.Stdin, os.Stdout); err != nil {
		return err
	}
	if o.Env, err = spec.ParseEnv(f.Env, os.LookupEnv); err != nil {
		return err
	}
	if o.Workdir, err = spec.ParseWorkdir(f.Workdir); err != nil {
		return err
	}
	if err := f.applyUser(o); err != nil {
		return err
	}
	if f.Hostname != "" {
		if o.Hostname, err = spec.ParseHostname(f.Hostname); err != nil {
			return err
		}
	}
	return nil
}

// applyUser parses who runs the command and its rlimits; the names are
// resolved in the rootfs by spec.New.
func (f *ProcessFlags) applyUser(o *runOptions) error {
	var err error
	p := &o.Process
	if f.User != "" {
		if _, err = usergroup.ParseSpec(f.User); err != nil {
			return err
		}
	}
	p.User, p.GroupAdd = f.User, f.GroupAdd
	if p.UserNS, err = spec.ParseUserNS(f.UserNS); err != nil {
		return err
	}
	p.Rlimits, err = spec.ParseUlimits(f.Ulimit)
	return err
}
