package main

import (
	"fmt"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/slirp"
)

// network turns --network, -p, --dns and --add-host into the container's
// network. Without --network the container gets slirp4netns, as with
// podman for rootless users; when slirp4netns is not installed it falls back
// to none and returns a notice line. An explicit --network slirp4netns without
// the binary is an error naming the package.
func (r *RunCmd) network() (container.Network, string, error) {
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
