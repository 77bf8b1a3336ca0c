package main

import (
	"os"
	"strings"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/spec"
	"github.com/urun-dev/urun/userns"
)

// startEarly starts the init stage of a plain foreground `urun run` before
// its flags are parsed, with the default namespaces and id maps
// (userns.StartEarly says why, and how a wrong guess is undone). It does
// not guess where the stage would surely differ: a detached run (its
// monitor starts the stage), a terminal (the stage then has a console
// socket instead of urun's stdio), an OCI bundle, or a help request. An
// argument of the command that looks like one of those flags only costs
// that run the early start.
func startEarly(args []string) {
	// `urun ROOTFS CMD` is run too (the default verb) when its first
	// argument is a directory; one that is also a verb's name costs that
	// verb an early start, undone by EndEarly.
	if len(args) < 2 || (args[0] != "run" && (strings.HasPrefix(args[0], "-") || !isDir(args[0]))) {
		return
	}
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-d") || strings.HasPrefix(a, "--detach") || strings.HasPrefix(a, "--bundle") ||
			strings.HasPrefix(a, "-t") || strings.HasPrefix(a, "-it") || strings.HasPrefix(a, "--tty") ||
			a == "-h" || strings.HasPrefix(a, "--help") {
			return
		}
	}
	if pty.IsTerminal(os.Stdin) && pty.IsTerminal(os.Stdout) {
		return
	}
	maps, err := idmap.PlanFor()
	if err != nil {
		// The run plans again and says what is wrong.
		return
	}
	container.CatchSignals()
	userns.PrepareStart()
	userns.StartEarly(userns.StartOptions{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		NetNS: true, Namespaces: spec.Namespaces(true), Maps: maps,
	})
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
