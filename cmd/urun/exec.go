package main

import (
	"os"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/spec"
)

// ExecCmd is `urun exec`: a new process in a running container. The flags
// that `urun run` has too are spelled as there; runc's (for engines) are in
// ExecOCIFlags, and runc's spellings of the shared ones (--cwd, --env) work.
type ExecCmd struct {
	Env         []string `short:"e" sep:"none" help:"Set an environment variable (KEY=VALUE; KEY alone copies it from your environment) over the container's. Repeatable." placeholder:"KEY=VALUE"`
	Workdir     string   `short:"w" aliases:"cwd" help:"Working directory inside the container (default: the container's)." placeholder:"DIR"`
	User        string   `short:"u" help:"Run as USER[:GROUP] (names from the container's /etc/passwd and /etc/group, or numbers; default: the container's user)." placeholder:"USER[:GROUP]"`
	TTY         bool     `short:"t" help:"Give the process a terminal of its own (stdin must be a terminal, unless --console-socket)."`
	Interactive bool     `short:"i" help:"Keep stdin open: the process reads yours (without -i it reads nothing)."`
	Detach      bool     `short:"d" help:"Start the process and return at once; it runs on in the container with exec's stdin, stdout and stderr (/dev/null for a terminal)."`

	ExecOCIFlags `embed:""`

	ID      string   `arg:"" help:"The container's id, unique id prefix or name."`
	Command []string `arg:"" optional:"" passthrough:"" help:"Command and arguments (default with --process: its args)."`
}

// Run runs the command in the container.
func (x *ExecCmd) Run(g *Globals) error {
	c := &container.ExecConfig{
		Args: x.Command, User: x.User,
		TTY: x.TTY, Interactive: x.Interactive, Detach: x.Detach,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		LogError: func(msg string) { errLog.Error(msg) },
	}
	if err := x.apply(g, c); err != nil {
		return usageError(err)
	}
	terminal := x.TTY || (c.Process != nil && c.Process.Terminal)
	if terminal && x.ConsoleSocket == "" && !x.Detach && !pty.IsTerminal(os.Stdin) {
		return usageError(errNotATTY)
	}
	env, err := spec.ParseEnv(x.Env, os.LookupEnv)
	if err != nil {
		return usageError(err)
	}
	cwd := ""
	if x.Workdir != "" {
		if cwd, err = spec.ParseWorkdir(x.Workdir); err != nil {
			return usageError(err)
		}
	}
	t, err := execTarget(x.ID)
	if err != nil {
		return usageError(err)
	}
	c.PID, c.CgroupPath, c.Spec = t.PID, t.CgroupPath, t.Spec
	c.Env, c.Cwd = env, cwd
	return exitError(container.Exec(c))
}
