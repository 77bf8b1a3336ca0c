package main

import (
	"os"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/spec"
)

// ExecCmd is `urun exec`: a new process in a running container. The flags
// that `urun run` has too are spelled as there.
type ExecCmd struct {
	Env         []string `short:"e" sep:"none" help:"Set an environment variable (KEY=VALUE; KEY alone copies it from your environment) over the container's. Repeatable." placeholder:"KEY=VALUE"`
	Workdir     string   `short:"w" help:"Working directory inside the container (default: the container's)." placeholder:"DIR"`
	User        string   `short:"u" help:"Run as USER[:GROUP] (names from the container's /etc/passwd and /etc/group, or numbers; default: the container's user)." placeholder:"USER[:GROUP]"`
	TTY         bool     `short:"t" help:"Give the process a terminal of its own (stdin must be a terminal)."`
	Interactive bool     `short:"i" help:"Keep stdin open: the process reads yours (without -i it reads nothing)."`
	Detach      bool     `short:"d" help:"Start the process and return at once; it runs on in the container, its output discarded."`

	ID      string   `arg:"" help:"The container's id, unique id prefix or name."`
	Command []string `arg:"" passthrough:"" help:"Command and arguments."`
}

// Run runs the command in the container.
func (x *ExecCmd) Run() error {
	if x.TTY && !pty.IsTerminal(os.Stdin) {
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
	return exitError(container.Exec(&container.ExecConfig{
		PID: t.PID, CgroupPath: t.CgroupPath, Spec: t.Spec,
		Args: x.Command, Env: env, Cwd: cwd, User: x.User,
		TTY: x.TTY, Interactive: x.Interactive, Detach: x.Detach,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}))
}
