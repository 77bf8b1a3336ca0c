package main

import (
	"fmt"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/slirp"
)

// NetworkFlags give the container its network.
type NetworkFlags struct {
	Network string   `help:"Network: 'slirp4netns[:OPTIONS]' (the default when installed: own namespace, tap0 10.0.2.100 via 10.0.2.2, user-mode NAT to the host's network; OPTIONS as podman's: allow_host_loopback=true, mtu=N, cidr=CIDR, enable_ipv6=true, outbound_addr=IP, outbound_addr6=IP), 'none' (own namespace, only lo) or 'host' (share the host's network)." placeholder:"MODE"`
	Publish []string `short:"p" sep:"none" help:"Publish a container port on the host: [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]. HOSTIP defaults to 0.0.0.0 (every IPv4 address of the host, as docker); use 127.0.0.1:... to keep it local. Repeatable." placeholder:"SPEC"`
	DNS     []string `name:"dns" sep:"none" help:"Name server for the container's /etc/resolv.conf (default: slirp4netns's forwarder 10.0.2.3). Repeatable." placeholder:"IP"`
	AddHost []string `name:"add-host" sep:"none" help:"Add NAME:IP to the container's /etc/hosts (IP may be host-gateway). Repeatable." placeholder:"NAME:IP"`
}

// network turns --network, -p, --dns and --add-host into the container's
// network. Without --network the container gets slirp4netns, as with
// podman for rootless users; when slirp4netns is not installed it falls back
// to none and returns a notice line. An explicit --network slirp4netns without
// the binary is an error naming the package.
func (r *NetworkFlags) network() (container.Network, string, error) {
	var n container.Network
	var notice string
	if r.Network == "" {
		n.Net.Mode = slirp.Slirp4netns
		if _, err := slirp.LookPath(); err != nil {
			n.Net.Mode = slirp.None
			notice = "urun: notice: slirp4netns is not installed, so the container has no network (--network none); to get one: apt-get install slirp4netns"
		}
	} else {
		var err error
		if n.Net, err = slirp.ParseNetwork(r.Network); err != nil {
			return n, "", err
		}
		if n.Net.Mode == slirp.Slirp4netns {
			if _, err := slirp.LookPath(); err != nil {
				return n, "", fmt.Errorf("--network slirp4netns: %w", slirp.ErrNotInstalled)
			}
		}
	}
	seen := map[string]string{}
	for _, p := range r.Publish {
		pm, err := slirp.ParsePublish(p)
		if err != nil {
			return n, "", err
		}
		key := fmt.Sprintf("%s:%d/%s", pm.HostIP, pm.HostPort, pm.Protocol)
		if prev, ok := seen[key]; ok {
			return n, "", fmt.Errorf("-p %s and -p %s both publish host port %s; choose another host port for one of them", prev, p, key)
		}
		seen[key] = p
		n.Publish = append(n.Publish, pm)
	}
	for _, d := range r.DNS {
		a, err := slirp.ParseDNS(d)
		if err != nil {
			return n, "", err
		}
		n.DNS = append(n.DNS, a)
	}
	for _, h := range r.AddHost {
		e, err := slirp.ParseAddHost(h)
		if err != nil {
			return n, "", err
		}
		n.AddHosts = append(n.AddHosts, e)
	}
	return n, notice, nil
}
