package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urun-dev/urun/ocilog"
)

// Globals are runc's global flags, accepted before any verb (engines put
// them there: containerd's shim passes --root --log --log-format
// --systemd-cgroup, conmon --root and --log). Verbs that need them take a
// *Globals in their Run; kong binds it.
type Globals struct {
	Root          string `help:"Directory of the container store (default: $XDG_RUNTIME_DIR/urun, root: /run/urun); for engines." type:"path" placeholder:"DIR"`
	Log           string `help:"Write errors (and --debug lines) to this file too, in --log-format; for engines." type:"path" placeholder:"FILE"`
	LogFormat     string `help:"Format of --log lines: text or json (runc's, which conmon and containerd read)." enum:"text,json" default:"text"`
	SystemdCgroup bool   `help:"Accepted for engines: urun's cgroups always come from systemd (a delegated scope)."`
	Debug         bool   `help:"Write debug lines to the --log file (or stderr)."`

	log *ocilog.Logger
}

// errLog is where one-line user errors go besides stderr: the --log file,
// once the flags are parsed. usageError reaches it from any verb.
var errLog *ocilog.Logger

// openLog opens the --log file; without one, --debug lines go to stderr.
func (g *Globals) openLog() error {
	f, err := ocilog.ParseFormat(g.LogFormat)
	if err != nil {
		return err
	}
	if g.Log == "" {
		// Debug lines only: errors already go to stderr as urun's one line.
		var w io.Writer
		if g.Debug {
			w = os.Stderr
		}
		g.log = ocilog.New(w, f, g.Debug)
		return nil
	}
	l, err := ocilog.Open(g.Log, f, g.Debug)
	if err != nil {
		return err
	}
	g.log, errLog = l, l
	return nil
}

// Debugf writes a debug line when --debug is on.
func (g *Globals) Debugf(format string, args ...any) { g.log.Debugf(format, args...) }

// report prints a user error as urun's one line on stderr and logs it.
func report(err error) {
	fmt.Fprintf(os.Stderr, "urun: %v\n", err)
	errLog.Error(err.Error())
}
