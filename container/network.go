package container

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/trace"
	"github.com/urun-dev/urun/slirp"
	"github.com/urun-dev/urun/spec"
)

// Network is the container's network as the user asked for it: the mode
// (slirp4netns, none, host), published ports, DNS servers and extra hosts.
type Network struct {
	Net      slirp.Network
	Publish  []slirp.PortMapping
	DNS      []netip.Addr
	AddHosts []slirp.HostEntry
}

// checkNetwork is the part of validation that needs the host: the published
// host ports must be free now, so that a taken port is refused before any
// namespace exists.
func checkNetwork(n *Network) error {
	if len(n.Publish) > 0 && n.Net.Mode != slirp.Slirp4netns {
		return fmt.Errorf("-p needs --network slirp4netns (with --network %s there is nothing to publish through)", n.Net.Mode)
	}
	for _, pm := range n.Publish {
		if err := slirp.CheckPort(pm); err != nil {
			return err
		}
	}
	return nil
}

// etcFiles writes the container's resolv.conf and hosts into the run's state
// directory and adds bind mounts of them over /etc/resolv.conf and /etc/hosts
// to the spec: the rootfs itself is never written. With --network host and
// no --dns the host's own /etc/resolv.conf is bound read-only, since the
// container uses the host's resolver.
func etcFiles(s *specs.Spec, dir string, n *Network) error {
	// A user's own mount of either file wins, as in podman.
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, slirp.Hosts(n.Net, s.Hostname, n.AddHosts), 0o644); err != nil {
		return fmt.Errorf("writing the container's hosts file: %w", err)
	}
	if !spec.HasDest(s, "/etc/hosts") {
		spec.AddSystemMounts(s, specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: hosts, Options: []string{"bind"}})
	}
	resolv := slirp.ResolvConf(n.Net, n.DNS)
	switch {
	case spec.HasDest(s, "/etc/resolv.conf"):
	case resolv != nil:
		p := filepath.Join(dir, "resolv.conf")
		if err := os.WriteFile(p, resolv, 0o644); err != nil {
			return fmt.Errorf("writing the container's resolv.conf: %w", err)
		}
		spec.AddSystemMounts(s, specs.Mount{Destination: "/etc/resolv.conf", Type: "bind", Source: p, Options: []string{"bind"}})
	case n.Net.Mode == slirp.Host:
		if _, err := os.Stat("/etc/resolv.conf"); err == nil {
			spec.AddSystemMounts(s, specs.Mount{Destination: "/etc/resolv.conf", Type: "bind", Source: "/etc/resolv.conf", Options: []string{"bind", "ro"}})
		}
	}
	return nil
}

// startSlirp starts slirp4netns to connect the container's network namespace
// to the host. It runs after the id maps exist (slirp4netns joins the
// container's user namespace); slirpReady waits for tap0 and publishes the
// ports, after the init stage's set-up, which needs nothing of the network
// and runs meanwhile, and before the command starts, so that it starts with
// its network up.
func (r *run) startSlirp(pid int) error {
	n := &r.c.Network
	if n.Net.Mode != slirp.Slirp4netns {
		return nil
	}
	s, err := slirp.Spawn(pid, r.dir.Path, n.Net)
	if err != nil {
		return err
	}
	r.slirp = s
	r.deferNamed("slirp4netns stopped", func() { _ = s.Close() })
	trace.Mark("slirp4netns started")
	return nil
}

// slirpReady waits for slirp4netns to bring up tap0 and publishes the ports.
func (r *run) slirpReady() error {
	if r.slirp == nil {
		return nil
	}
	s, n := r.slirp, &r.c.Network
	if err := s.Ready(); err != nil {
		return err
	}
	trace.Mark("slirp4netns ready")
	r.logf("slirp4netns is pid %d: %s, tap0 %s via %s", s.Pid(), n.Net, n.Net.GuestAddr(), n.Net.Gateway())
	for _, pm := range n.Publish {
		if err := s.AddHostFwd(pm); err != nil {
			return err
		}
		r.logf("published %s", pm)
		trace.Mark("published " + pm.String())
	}
	return nil
}

// slirpDone reports slirp4netns dying while the container runs (nil channel,
// which never fires, without slirp).
func (r *run) slirpDone() <-chan error {
	if r.slirp == nil {
		return nil
	}
	return r.slirp.Done()
}
