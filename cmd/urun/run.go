package main

import (
	"fmt"
	"os"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/internal/imagestore"
	"github.com/urun-dev/urun/internal/trace"
	"github.com/urun-dev/urun/slirp"
	"github.com/urun-dev/urun/spec"
	"github.com/urun-dev/urun/store"
	"github.com/urun-dev/urun/userns"
)

// RunCmd is `urun run`: the flag groups shared with other verbs are embedded.
type RunCmd struct {
	ProcessFlags    `embed:""`
	MountFlags      `embed:""`
	NetworkFlags    `embed:""`
	LimitFlags      `embed:""`
	SecurityFlags   `embed:""`
	BackgroundFlags `embed:""`
	ImageFlags      `embed:""`
	OCIFlags        `embed:"" group:"OCI bundle (urun run --bundle DIR ID)"`

	Quiet   bool `short:"q" help:"Do not print notices (such as the single-id map fallback)."`
	Verbose bool `help:"Explain what urun does (-v is --volume, as in podman and docker)."`

	Rootfs  string   `arg:"" help:"Directory to use as the container's root file system (a path: ./DIR, /DIR, or an existing directory), or an image to run (pulled when missing): its layers under a throwaway upper layer, its Entrypoint, Cmd, Env, WorkingDir and User as defaults. With --bundle DIR: the OCI container's id (the command is config.json's)." placeholder:"ROOTFS|IMAGE|ID"`
	Command []string `arg:"" optional:"" passthrough:"" help:"Command and arguments (default: /bin/sh)."`
}

// Run runs the container.
func (r *RunCmd) Run(g *Globals) error {
	if r.Bundle != "" {
		return r.runBundle(g)
	}
	bg, err := r.BackgroundFlags.parse()
	if err != nil {
		return usageError(err)
	}
	if !bg.detach {
		// The sealed copy of urun the init stage runs from, made while the
		// flags become a spec (a detached run's monitor makes its own).
		userns.PrepareStart()
	}
	o, defaultCmd, mark, err := r.options()
	defer mark.Release()
	if err != nil {
		return usageError(err)
	}
	netw, notice, err := r.network()
	if err != nil {
		return usageError(err)
	}
	if notice != "" && !r.Quiet {
		fmt.Fprintln(os.Stderr, notice)
	}
	o.NetNS = netw.Net.Mode != slirp.Host
	id := store.NewID()
	if o.Hostname == "" {
		o.Hostname = id
	}
	sp, err := spec.New(o.Options)
	if err != nil {
		return usageError(err)
	}
	sp.Linux.Resources = o.limits.Resources()
	if o.Terminal {
		withTerminal(sp, os.Stdin)
	}
	withInit(sp, bg.init)
	trace.Mark("spec built")
	c := &container.Config{
		ID: id, Spec: sp, DefaultCmd: defaultCmd,
		Quiet: r.Quiet, Verbose: r.Verbose,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Network: netw, StoreRoot: storeRoot,
		Name: bg.name, Detached: bg.detach, AutoRemove: bg.rm,
	}
	if bg.detach {
		return detach(c, bg, r.Interactive, mark.File())
	}
	return exitError(container.Run(c))
}

// runOptions are the parsed flags: the spec's options and the limits, which
// become the spec's Linux.Resources.
type runOptions struct {
	spec.Options
	limits   limitsOptions
	detached bool
}

// options turns the flags into the run's options, one flag group at a time.
// defaultCmd says the user gave no command and /bin/sh was chosen.
// mark is the image's in-use mark (nil for a rootfs): release it when the
// container is gone, or hand it to the monitor that outlives this process.
func (r *RunCmd) options() (o runOptions, defaultCmd bool, mark *imagestore.Mark, err error) {
	o.detached = r.Detach
	mark, imageDefaults, err := r.rootfsOrImage(&o)
	if err != nil {
		return o, false, mark, err
	}
	defaultCmd = len(o.Args) == 0
	if defaultCmd {
		o.Args = []string{"/bin/sh"}
	}
	applies := []func(*runOptions) error{
		r.ProcessFlags.apply, r.MountFlags.apply, r.LimitFlags.apply, r.SecurityFlags.apply,
	}
	if imageDefaults != nil {
		applies = append(applies, imageDefaults)
	}
	for _, apply := range applies {
		if err := apply(&o); err != nil {
			return o, false, mark, err
		}
	}
	return o, defaultCmd, mark, nil
}
