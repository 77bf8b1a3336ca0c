// Command urun runs a rootless container: `urun ./rootfs /bin/sh`.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/alecthomas/kong"
	"github.com/urun-dev/urun/cgroupdelegate"
	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/hostcheck"
	"github.com/urun-dev/urun/slirp"
	"github.com/urun-dev/urun/spec"
	"github.com/urun-dev/urun/state"
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

// CLI is urun's command line.
type CLI struct {
	Run     RunCmd     `cmd:"" default:"withargs" help:"Run a command in a new container (the default: 'urun ROOTFS CMD' = 'urun run ROOTFS CMD')."`
	Check   CheckCmd   `cmd:"" help:"Show what this host gives you: id ranges, cgroup v2 and delegated controllers, systemd user manager, networking; with what to do about anything missing."`
	Version VersionCmd `cmd:"" help:"Print urun's version."`
}

// RunCmd is `urun run`.
type RunCmd struct {
	Hostname    string   `help:"Hostname inside the container (default: the container id)." placeholder:"NAME"`
	Env         []string `short:"e" sep:"none" help:"Set an environment variable (KEY=VALUE; KEY alone copies it from your environment). Repeatable." placeholder:"KEY=VALUE"`
	Workdir     string   `short:"w" help:"Working directory inside the container; must exist there." default:"/" placeholder:"DIR"`
	Network     string   `help:"Network: 'slirp4netns[:OPTIONS]' (the default when installed: own namespace, tap0 10.0.2.100 via 10.0.2.2, user-mode NAT to the host's network; OPTIONS as podman's: allow_host_loopback=true, mtu=N, cidr=CIDR, enable_ipv6=true, outbound_addr=IP, outbound_addr6=IP), 'none' (own namespace, only lo) or 'host' (share the host's network)." placeholder:"MODE"`
	Publish     []string `short:"p" sep:"none" help:"Publish a container port on the host: [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]. HOSTIP defaults to 0.0.0.0 (every IPv4 address of the host, as docker); use 127.0.0.1:... to keep it local. Repeatable." placeholder:"SPEC"`
	DNS         []string `name:"dns" sep:"none" help:"Name server for the container's /etc/resolv.conf (default: slirp4netns's forwarder 10.0.2.3). Repeatable." placeholder:"IP"`
	AddHost     []string `name:"add-host" sep:"none" help:"Add NAME:IP to the container's /etc/hosts (IP may be host-gateway). Repeatable." placeholder:"NAME:IP"`
	TTY         *bool    `name:"tty" short:"t" negatable:"" help:"Give the container a terminal of its own (the default when stdin is a terminal; --no-tty: plain pipes even then). With -t, stdin must be a terminal."`
	Interactive bool     `short:"i" help:"Keep stdin open for the container. urun always does; accepted for docker compatibility (-it)."`
	Quiet       bool     `short:"q" help:"Do not print notices (such as the single-id map fallback)."`

	Memory     string `short:"m" aliases:"mem" help:"Memory limit: a size like 100M or 1g (needs cgroup v2 and a systemd user manager)." placeholder:"SIZE"`
	MemorySwap string `name:"memory-swap" help:"Memory plus swap limit (docker's meaning): a size, or -1 for unlimited swap; default: swap as large as --memory." placeholder:"SIZE"`
	CPUs       string `name:"cpus" aliases:"cpu" help:"CPU limit in CPUs: 0.5 is half of one CPU, 2 is two CPUs." placeholder:"N"`
	PidsLimit  int64  `name:"pids-limit" help:"Maximum number of processes and threads in the container." placeholder:"N"`
	Verbose    bool   `short:"v" help:"Explain what urun does."`

	Rootfs  string   `arg:"" help:"Directory to use as the container's root file system." type:"path"`
	Command []string `arg:"" optional:"" passthrough:"" help:"Command and arguments (default: /bin/sh)."`
}

// VersionCmd is `urun version`.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run() error {
	fmt.Println("urun", version)
	return nil
}

// exitError carries an exit status out of a kong command.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// CheckCmd is `urun check`.
type CheckCmd struct{}

// Run prints the host report; exit status 1 when something urun needs is
// missing.
func (CheckCmd) Run() error {
	if err := hostcheck.Report(os.Stdout); err != nil {
		if errors.Is(err, hostcheck.ErrProblems) {
			return exitError(1)
		}
		return err
	}
	return nil
}

// Run runs the container.
func (r *RunCmd) Run() error {
	o, defaultCmd, err := r.options()
	if err == nil {
		err = r.limits(&o)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v\n", err)
		return exitError(userns.StatusError)
	}
	netw, notice, err := r.network()
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v\n", err)
		return exitError(userns.StatusError)
	}
	if notice != "" && !r.Quiet {
		fmt.Fprintln(os.Stderr, notice)
	}
	o.NetNS = netw.Net.Mode != slirp.Host
	id := state.NewID()
	if o.Hostname == "" {
		o.Hostname = id
	}
	sp := spec.New(o.Options)
	sp.Linux.Resources = o.limits.Resources()
	if o.Terminal {
		withTerminal(sp, os.Stdin)
	}
	status := container.Run(&container.Config{
		ID: id, Spec: sp, DefaultCmd: defaultCmd,
		Quiet: r.Quiet, Verbose: r.Verbose,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Network: netw,
	})
	return exitError(status)
}

// runOptions are the parsed flags: the spec's options and the limits, which
// become the spec's Linux.Resources.
type runOptions struct {
	spec.Options
	limits cgroupdelegate.Limits
}

// limits parses and checks the resource limit flags.
func (r *RunCmd) limits(o *runOptions) error {
	var err error
	l := &o.limits
	if r.Memory != "" {
		if l.MemoryMax, err = cgroupdelegate.ParseSize(r.Memory); err != nil {
			return fmt.Errorf("--memory: %w", err)
		}
	}
	if r.MemorySwap != "" {
		if l.MemorySwap, err = cgroupdelegate.ParseSwap(r.MemorySwap); err != nil {
			return fmt.Errorf("--memory-swap: %w", err)
		}
	}
	if r.CPUs != "" {
		if l.CPUs, err = cgroupdelegate.ParseCPUs(r.CPUs); err != nil {
			return fmt.Errorf("--cpus: %w", err)
		}
	}
	l.PidsMax = r.PidsLimit
	return l.Validate()
}

func (r *RunCmd) options() (runOptions, bool, error) {
	var o runOptions
	root, err := filepath.Abs(r.Rootfs)
	if err != nil {
		return o, false, fmt.Errorf("rootfs %q: %w", r.Rootfs, err)
	}
	o.Rootfs = root
	o.Args = r.Command
	defaultCmd := len(o.Args) == 0
	if defaultCmd {
		o.Args = []string{"/bin/sh"}
	}
	if o.Terminal, err = r.terminal(os.Stdin, os.Stdout); err != nil {
		return o, false, err
	}
	if o.Env, err = spec.ParseEnv(r.Env, os.LookupEnv); err != nil {
		return o, false, err
	}
	if o.Workdir, err = spec.ParseWorkdir(r.Workdir); err != nil {
		return o, false, err
	}
	if r.Hostname != "" {
		if o.Hostname, err = spec.ParseHostname(r.Hostname); err != nil {
			return o, false, err
		}
	}
	return o, defaultCmd, nil
}

func main() {
	if userns.IsInit() {
		userns.RunInit()
		return
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var cli CLI
	parser, err := kong.New(&cli,
		kong.Name("urun"),
		kong.Description(description),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Exit(func(code int) { panic(exitError(code)) }),
	)
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v\n", err)
		return userns.StatusError
	}
	return parseAndRun(parser, args)
}

// parseAndRun turns kong's exits (help, usage errors) into statuses: help is 0,
// a usage error is 125 like every other urun error.
func parseAndRun(parser *kong.Kong, args []string) (status int) {
	defer func() {
		if v := recover(); v != nil {
			e, ok := v.(exitError)
			if !ok {
				panic(v)
			}
			status = int(e)
		}
	}()
	ctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v; see 'urun --help'\n", err)
		return userns.StatusError
	}
	err = ctx.Run()
	var e exitError
	if errors.As(err, &e) {
		return int(e)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v\n", err)
		return userns.StatusError
	}
	return 0
}
