package main

import (
	"github.com/alecthomas/kong"
	"github.com/urun-dev/urun/internal/imageproto"
)

// imageVerb is an image verb (import, pull, rmi, load): urun hands
// its flags and arguments as they are to the image helper, which parses
// them (`urun pull --help` is its help). The helper is a binary apart
// (package imagecli says why); runImageVerb runs it, or, in a build without
// it, the verb in this process.
type imageVerb struct {
	Args []string `arg:"" optional:""`
}

// Run runs the verb the user named.
func (v *imageVerb) Run(k *kong.Context) error {
	status := runImageVerb(append([]string{k.Selected().Name}, v.Args...))
	if status != 0 {
		return exitError(status)
	}
	return nil
}

// imageVars are the kong variables of the image verbs' help.
func imageVars() kong.Vars { return kong.Vars(imageproto.HelpVars()) }
