package slirp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// PortMapping is one -p/--publish: connections to HostIP:HostPort on the
// host are forwarded to ContainerPort on the container's address.
type PortMapping struct {
	// HostIP is the host address to listen on; 0.0.0.0 (all IPv4
	// addresses) by default, as docker does.
	HostIP        netip.Addr
	HostPort      uint16
	ContainerPort uint16
	// Protocol is "tcp" or "udp".
	Protocol string
}

// DefaultHostIP is the host address a -p without one listens on. As in
// docker, that is every IPv4 address of the host, not only loopback: publish
// on 127.0.0.1:PORT:PORT to keep a port local.
var DefaultHostIP = netip.IPv4Unspecified()

// ParsePublish parses a -p/--publish value in docker's syntax:
// [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]. HOSTIP may be written in
// brackets. slirp4netns forwards IPv4 host addresses only, and urun does not
// pick random host ports, so HOSTPORT is required and ranges are refused.
func ParsePublish(s string) (PortMapping, error) {
	pm := PortMapping{HostIP: DefaultHostIP, Protocol: "tcp"}
	rest := s
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		proto := strings.ToLower(rest[i+1:])
		switch proto {
		case "tcp", "udp":
			pm.Protocol = proto
		default:
			return PortMapping{}, fmt.Errorf("-p %q: protocol %q is not supported; use /tcp or /udp", s, rest[i+1:])
		}
		rest = rest[:i]
	}
	var host, hostPort, ctrPort string
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return PortMapping{}, fmt.Errorf("-p %q: expected [HOSTIP]:HOSTPORT:CONTAINERPORT", s)
		}
		host = rest[1:end]
		hostPort, ctrPort, _ = strings.Cut(rest[end+2:], ":")
		if !strings.Contains(rest[end+2:], ":") {
			return PortMapping{}, fmt.Errorf("-p %q: expected [HOSTIP]:HOSTPORT:CONTAINERPORT", s)
		}
		if host == "" {
			return PortMapping{}, fmt.Errorf("-p %q: empty host address in brackets", s)
		}
	} else {
		parts := strings.Split(rest, ":")
		switch len(parts) {
		case 1:
			return PortMapping{}, fmt.Errorf("-p %q: give the host port too, as HOSTPORT:CONTAINERPORT (urun does not pick random host ports)", s)
		case 2:
			hostPort, ctrPort = parts[0], parts[1]
		case 3:
			host, hostPort, ctrPort = parts[0], parts[1], parts[2]
			if host == "" {
				return PortMapping{}, fmt.Errorf("-p %q: empty host address; leave it out for %s", s, DefaultHostIP)
			}
		default:
			return PortMapping{}, fmt.Errorf("-p %q: expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp] (IPv6 host addresses go in brackets)", s)
		}
	}
	if host != "" {
		ip, err := netip.ParseAddr(host)
		if err != nil || ip.Zone() != "" {
			return PortMapping{}, fmt.Errorf("-p %q: host address %q is not an IP address", s, host)
		}
		ip = ip.Unmap()
		if !ip.Is4() {
			return PortMapping{}, fmt.Errorf("-p %q: slirp4netns publishes on IPv4 host addresses only", s)
		}
		pm.HostIP = ip
	}
	var err error
	if pm.HostPort, err = parsePort(s, "host", hostPort); err != nil {
		return PortMapping{}, err
	}
	if pm.ContainerPort, err = parsePort(s, "container", ctrPort); err != nil {
		return PortMapping{}, err
	}
	return pm, nil
}

func parsePort(s, which, p string) (uint16, error) {
	if p == "" {
		if which == "host" {
			return 0, fmt.Errorf("-p %q: give the host port, as HOSTPORT:CONTAINERPORT (urun does not pick random host ports)", s)
		}
		return 0, fmt.Errorf("-p %q: the container port is missing", s)
	}
	if strings.Contains(p, "-") {
		return 0, fmt.Errorf("-p %q: port ranges are not supported; give one -p per port", s)
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("-p %q: %s port %q must be a number from 1 to 65535", s, which, p)
	}
	return uint16(n), nil
}

// String gives pm back in the syntax ParsePublish reads.
func (pm PortMapping) String() string {
	return fmt.Sprintf("%s:%d:%d/%s", pm.HostIP, pm.HostPort, pm.ContainerPort, pm.Protocol)
}
