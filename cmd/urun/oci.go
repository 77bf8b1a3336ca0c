package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/bundle"
	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/hooks"
	"github.com/urun-dev/urun/slirp"
	"github.com/urun-dev/urun/spec"
	"github.com/urun-dev/urun/store"
)

// OCIFlags are the flags of the OCI verbs that make a container from a
// bundle (create, run --bundle), as runc and crun spell them.
type OCIFlags struct {
	Bundle        string `short:"b" help:"OCI bundle: the directory with config.json and the root file system (create: default the current directory; run: makes 'urun run ID' an OCI run)." type:"path" placeholder:"DIR"`
	PidFile       string `name:"pid-file" help:"Write the host pid of the container's PID 1 to this file once it is created (OCI)." type:"path" placeholder:"FILE"`
	ConsoleSocket string `name:"console-socket" help:"Unix socket that gets the terminal's master (SCM_RIGHTS) when config.json has process.terminal (OCI; needed then with create and run --detach)." type:"path" placeholder:"SOCK"`
	PreserveFds   uint   `name:"preserve-fds" help:"Pass this many descriptors after stdio (3, 4, ...) to the container (OCI; only 0 is supported)." placeholder:"N"`
	NoPivot       bool   `name:"no-pivot" help:"Accepted for engines; urun always uses pivot_root."`
	NoNewKeyring  bool   `name:"no-new-keyring" help:"Accepted for engines; the container gets a session keyring of its own."`
}

// ociContainer loads the bundle and makes the run's config for container id:
// the checks of package bundle first, so bad input costs nothing to undo.
func ociContainer(g *Globals, f *OCIFlags, id string, detached bool) (*container.Config, error) {
	if err := bundle.CheckID(id); err != nil {
		return nil, err
	}
	if f.PreserveFds > 0 {
		return nil, fmt.Errorf("--preserve-fds %d: urun does not pass extra descriptors to a container yet; drop the flag", f.PreserveFds)
	}
	if f.NoPivot {
		g.Debugf("--no-pivot: ignored, urun always uses pivot_root")
	}
	if f.NoNewKeyring {
		g.Debugf("--no-new-keyring: ignored, the container gets a session keyring of its own")
	}
	dir := f.Bundle
	if dir == "" {
		dir = "."
	}
	o, err := bundle.HostOptions()
	if err != nil {
		return nil, err
	}
	o.Debug = g.Debugf
	b, err := bundle.Load(dir, o)
	if err != nil {
		return nil, err
	}
	s := b.Spec
	if s.Process == nil {
		return nil, fmt.Errorf("%s: process is missing: a container needs a process to run", filepath.Join(b.Dir, bundle.ConfigName))
	}
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	if s.Process.Capabilities == nil {
		// The spec: no capabilities field is no capabilities.
		s.Process.Capabilities = &specs.LinuxCapabilities{}
	}
	if s.Process.Terminal && f.ConsoleSocket == "" && detached {
		return nil, errors.New("config.json has process.terminal true: give --console-socket SOCK, the socket that gets the terminal, or set process.terminal to false")
	}
	if !s.Process.Terminal && f.ConsoleSocket != "" {
		return nil, errors.New("--console-socket is given but config.json has process.terminal false: drop the flag, or set process.terminal to true")
	}
	st, err := openStore()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(st.Dir(id)); err == nil {
		return nil, fmt.Errorf("container id %s is already in use: delete it first (urun delete %s) or choose another id", id, id)
	}
	// The network is the config's: a network namespace without a path is
	// an empty one with loopback; none is the host's. Engines bring their
	// own network (podman's slirp4netns or pasta, CNI).
	netw := container.Network{Net: slirp.Network{Mode: slirp.Host}}
	if spec.HasNamespace(s, specs.NetworkNamespace) {
		netw.Net.Mode = slirp.None
	}
	name := id
	if store.CheckName(id) != nil {
		name = "" // a random one; the id names the container anyway
	}
	pidFile := f.PidFile
	if pidFile != "" {
		// The monitor runs in /.
		if pidFile, err = filepath.Abs(pidFile); err != nil {
			return nil, fmt.Errorf("--pid-file: %w", err)
		}
	}
	return &container.Config{
		ID: id, Name: name, Spec: s, Quiet: true, Verbose: g.Debug,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Network: netw, StoreRoot: storeRoot,
		OCI: &container.OCI{Bundle: b.Dir, ConsoleSocket: f.ConsoleSocket, PidFile: pidFile},
	}, nil
}

// ociGet reads the record of container id: an exact id, as engines give it
// (no prefixes or names, which could pick another container).
func ociGet(id string) (*store.Store, *store.Record, error) {
	st, err := openStore()
	if err != nil {
		return nil, nil, err
	}
	if id == "" {
		return nil, nil, errors.New("no container id given")
	}
	if bundle.CheckID(id) != nil {
		return nil, nil, fmt.Errorf("container %s does not exist", id)
	}
	r, err := st.Get(id)
	if err != nil {
		return nil, nil, fmt.Errorf("container %s does not exist", id)
	}
	return st, r, nil
}

// ociStatus is the spec's status of a record: created, running or stopped
// (podman accepts only these and paused).
func ociStatus(r *store.Record) specs.ContainerState {
	switch r.Status {
	case store.Created:
		if r.Pid > 0 && !r.Alive() {
			return specs.StateStopped
		}
		return specs.StateCreated
	case store.Running:
		if r.Alive() {
			return specs.StateRunning
		}
	}
	return specs.StateStopped
}

// ociState is the spec's state of a record.
func ociState(r *store.Record) *specs.State {
	s := &specs.State{Version: specs.Version, ID: r.ID, Status: ociStatus(r), Bundle: r.Bundle, Annotations: r.Annotations}
	if s.Status != specs.StateStopped {
		s.Pid = r.Pid
	}
	return s
}

// poststop runs the poststop hooks of a container's config (delete), as
// warnings.
func poststop(st *store.Store, r *store.Record) {
	s, err := st.ReadSpec(r.ID)
	if err != nil || s.Hooks == nil {
		return
	}
	state := ociState(r)
	state.Status, state.Pid = specs.StateStopped, 0
	for _, err := range hooks.RunAll(context.Background(), s.Hooks, hooks.Poststop, state, hooks.Options{Stdout: os.Stderr, Stderr: os.Stderr}) {
		warn(fmt.Errorf("warning: %w", err))
	}
}

// warn prints a warning line and logs it.
func warn(err error) {
	fmt.Fprintf(os.Stderr, "urun: %v\n", err)
	errLog.Warn(err.Error())
}
