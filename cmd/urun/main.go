// Command urun runs a rootless container: `urun ./rootfs /bin/sh`.
//
// main.go only dispatches: each verb is a struct with its Run in a file of its
// own (run.go, check.go, version.go), and the flag groups that verbs share
// (process.go, network.go, limits.go, mounts.go, security.go) are structs
// embedded into them, each turned into the spec by one function.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/alecthomas/kong"
	"github.com/urun-dev/urun/internal/cliexit"
	"github.com/urun-dev/urun/internal/trace"
	"github.com/urun-dev/urun/userns"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const description = `urun runs a command in a rootless container: its own user, PID, UTS, mount,
IPC, network and cgroup namespaces, with ROOTFS as its root file system.
No root needed: your user becomes root inside, mapped through /etc/subuid.

Examples:
  urun ./rootfs                       a shell (/bin/sh) in the container
  urun ./rootfs ls -l /               run one command
  urun run -e FOO=bar -w /tmp ./rootfs env
  urun run --hostname box --network none ./rootfs hostname

Exit status: the command's own; 125 when urun failed; 126 when the command
cannot be executed; 127 when it is not found; 128+N when signal N killed it.`

// CLI is urun's command line: the global flags (globals.go), then one field
// per verb.
type CLI struct {
	Globals `embed:""`

	Run      RunCmd      `cmd:"" default:"withargs" help:"Run a command in a new container (the default: 'urun ROOTFS CMD' = 'urun run ROOTFS CMD'); 'urun run --bundle DIR ID' runs an OCI bundle (create, start, wait)."`
	Unshare  UnshareCmd  `cmd:"" help:"Run a host command (default: your shell) as root of a user namespace with your subordinate ids mapped: 'urun unshare rm -rf DIR' removes files a container made as other ids."`
	Import   imageVerb   `cmd:"" passthrough:"" help:"${help_import}"`
	Pull     imageVerb   `cmd:"" passthrough:"" help:"${help_pull}"`
	Images   ImagesCmd   `cmd:"" help:"List the images in your store."`
	Rmi      imageVerb   `cmd:"" passthrough:"" help:"${help_rmi}"`
	Load     imageVerb   `cmd:"" passthrough:"" help:"${help_load}"`
	Exec     ExecCmd     `cmd:"" help:"Run a command in a running container (urun exec [-it] ID CMD...)."`
	Ps       PsCmd       `cmd:"" help:"List containers (running ones; -a: all)."`
	Inspect  InspectCmd  `cmd:"" help:"Show containers' records as JSON."`
	Logs     LogsCmd     `cmd:"" help:"Print a detached container's output (stdout and stderr apart)."`
	Attach   AttachCmd   `cmd:"" help:"Attach your terminal to a detached container (detach: Ctrl-P Ctrl-Q)."`
	Stop     StopCmd     `cmd:"" help:"Stop containers: SIGTERM, then SIGKILL after a timeout."`
	Kill     KillCmd     `cmd:"" help:"Send a signal to containers (default SIGKILL); runc's 'urun kill [--all] ID [SIGNAL]' (default SIGTERM) when ID is an OCI container's."`
	Wait     WaitCmd     `cmd:"" help:"Wait for containers to exit; print and exit with the status."`
	Rm       RmCmd       `cmd:"" help:"Remove exited containers (-f: kill running ones first)."`
	Monitor  MonitorCmd  `cmd:"" hidden:"" help:"Supervise one detached container (started by urun run -d)."`
	Check    CheckCmd    `cmd:"" help:"Show what this host gives you: id ranges, cgroup v2 and delegated controllers, systemd user manager, networking; with what to do about anything missing."`
	Version  VersionCmd  `cmd:"" help:"Print urun's version."`
	Create   CreateCmd   `cmd:"" help:"OCI: create a container from a bundle; it waits for 'urun start' (urun create --bundle DIR ID)."`
	Start    StartCmd    `cmd:"" help:"OCI: start a created container's command."`
	State    StateCmd    `cmd:"" help:"OCI: print a container's state (the runtime-spec state JSON)."`
	Delete   DeleteCmd   `cmd:"" help:"OCI: remove a stopped container (--force: kill it first); runs its poststop hooks."`
	List     ListCmd     `cmd:"" help:"OCI: list containers as runc does (ID PID STATUS BUNDLE CREATED OWNER)."`
	Features FeaturesCmd `cmd:"" help:"Print what urun supports as an OCI runtime (the runtime-spec features JSON)."`
}

// exitError carries an exit status out of a kong command.
type exitError = cliexit.Status

// usageError prints a user error as urun's one line and returns status 125.
func usageError(err error) error {
	report(err)
	return exitError(userns.StatusError)
}

func main() {
	if userns.IsInit() {
		userns.RunInit()
		return
	}
	if userns.IsTini() {
		userns.RunTini()
		return
	}
	if userns.IsHelper() {
		// unshare, unpack, remove: registered by their packages.
		userns.RunHelper()
		return
	}
	if userns.IsExec() {
		userns.RunExec()
		return
	}
	noteInheritedFDs(os.Args[1:])
	trace.Mark("main: package init done")
	status := run(os.Args[1:])
	userns.EndEarly()
	trace.Usage()
	trace.Mark("exit")
	trace.Flush(os.Stderr)
	os.Exit(status)
}

func run(args []string) int {
	args, err := legacyArgs(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v\n", err)
		return userns.StatusError
	}
	startEarly(args)
	parser, g, err := verbParser(args)
	if parser != nil {
		if status, help := parseAndRun(parser, g, args); !help {
			return status
		}
	}
	if err == nil {
		var cli CLI
		parser, err = newParser(&cli)
		g = &cli.Globals
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v\n", err)
		return userns.StatusError
	}
	status, _ := parseAndRun(parser, g, args)
	return status
}

// newParser makes urun's kong parser for cli, with options extra too (a
// test's).
func newParser(cli *CLI, extra ...kong.Option) (*kong.Kong, error) {
	// The image verbs' help texts are variables (imageVars): only the whole
	// CLI has those verbs, and kong interpolates every variable for every
	// flag, so a one-verb parser, without help texts, goes without them.
	return kong.New(cli, append(append(parserOptions(&cli.Globals), imageVars()), extra...)...)
}

// parserOptions are the kong options of urun's parsers; g is where the
// global flags go.
func parserOptions(g *Globals) []kong.Option {
	return []kong.Option{
		kong.Name("urun"),
		kong.Description(description),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		// A flag's value may start with '-', as with docker's and podman's
		// parser: --pids-limit -1, --memory-swap -1.
		kong.WithHyphenPrefixedParameters(true),
		cliexit.Option(),
		// Verbs that need the global flags take a *Globals in Run.
		kong.Bind(g),
	}
}

// parseAndRun turns kong's exits (help, usage errors) into statuses: help is 0,
// a usage error is 125 like every other urun error. help reports a one-verb
// parser's help request (errHelp), which it leaves to the whole CLI.
func parseAndRun(parser *kong.Kong, g *Globals, args []string) (status int, help bool) {
	defer cliexit.Recover(&status)
	ctx, err := parseArgs(parser, args)
	if errors.Is(err, errHelp) {
		return 0, true
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v; see 'urun --help'\n", err)
		return userns.StatusError, false
	}
	trace.Mark("flags parsed")
	if g != nil {
		storeRoot = g.Root
		if err := g.openLog(); err != nil {
			report(err)
			return userns.StatusError, false
		}
		defer g.log.Close()
	}
	err = ctx.Run()
	if s, ok := cliexit.Of(err); ok {
		return s, false
	}
	if err != nil {
		report(err)
		return userns.StatusError, false
	}
	return 0, false
}
