package slirp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Mode is the kind of network a container gets.
type Mode string

const (
	// None gives the container a network namespace with only lo in it.
	None Mode = "none"
	// Host keeps the container in the host's network namespace.
	Host Mode = "host"
	// Slirp4netns gives the container its own network namespace with a tap
	// device that slirp4netns connects to the host's network in user mode.
	Slirp4netns Mode = "slirp4netns"
)

// Defaults chosen as podman does: a large MTU makes slirp4netns much faster
// (fewer, bigger packets through the user-mode stack), and 10.0.2.0/24 is
// slirp's own historic network.
const (
	DefaultMTU = 65520
	// MaxMTU is the largest MTU slirp4netns accepts.
	MaxMTU = 65521
	// MinMTU is the smallest MTU the kernel allows on an interface with an
	// IPv4 address; IPv6 needs MinMTU6.
	MinMTU  = 68
	MinMTU6 = 1280
)

// DefaultCIDR is slirp4netns's default network.
var DefaultCIDR = netip.MustParsePrefix("10.0.2.0/24")

// Network is a parsed --network value.
type Network struct {
	Mode Mode
	// The fields below only apply to Mode Slirp4netns.

	// AllowHostLoopback lets the container reach the host's 127.0.0.1
	// through the gateway address (10.0.2.2). Off by default: a service
	// listening on the host's loopback trusts its callers to be local users.
	AllowHostLoopback bool
	// MTU of tap0; 0 means DefaultMTU.
	MTU int
	// CIDR of the slirp network; the zero Prefix means DefaultCIDR.
	CIDR netip.Prefix
	// EnableIPv6 turns on slirp4netns's (experimental) IPv6: fd00::/64,
	// gateway fd00::2, DNS fd00::3, the guest address from router
	// advertisements.
	EnableIPv6 bool
	// OutboundAddr and OutboundAddr6 pin the host address that outgoing
	// connections are made from; invalid (zero) means the kernel chooses.
	OutboundAddr  netip.Addr
	OutboundAddr6 netip.Addr
	// NoSandbox leaves out --enable-sandbox. The runtime sets it when the
	// container's user namespace has no id 0 (keep-id without subordinate
	// ranges): the sandbox switches to uid and gid 0 there and fails.
	NoSandbox bool
}

// ParseNetwork parses a --network value in podman's spelling: "none",
// "host", "slirp4netns" or "slirp4netns:KEY=VALUE,..." with the keys
// allow_host_loopback, mtu, cidr, enable_ipv6, outbound_addr, outbound_addr6
// and port_handler (only "slirp4netns"; urun has no rootlesskit).
// Errors are one line naming the bad part and what is accepted.
func ParseNetwork(s string) (Network, error) {
	name, opts, hasOpts := strings.Cut(s, ":")
	switch Mode(name) {
	case None, Host:
		if hasOpts {
			return Network{}, fmt.Errorf("--network %s takes no options (got %q)", name, s)
		}
		return Network{Mode: Mode(name)}, nil
	case Slirp4netns:
	default:
		return Network{}, fmt.Errorf("unknown --network %q: use none, host or slirp4netns[:OPTIONS]", name)
	}
	n := Network{Mode: Slirp4netns}
	if !hasOpts {
		return n, nil
	}
	seen := map[string]bool{}
	for _, opt := range strings.Split(opts, ",") {
		key, value, ok := strings.Cut(opt, "=")
		if !ok || key == "" {
			return Network{}, fmt.Errorf("--network slirp4netns option %q is not KEY=VALUE", opt)
		}
		if seen[key] {
			return Network{}, fmt.Errorf("--network slirp4netns option %s is given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "allow_host_loopback":
			n.AllowHostLoopback, err = parseBool(key, value)
		case "enable_ipv6":
			n.EnableIPv6, err = parseBool(key, value)
		case "mtu":
			n.MTU, err = parseMTU(value)
		case "cidr":
			n.CIDR, err = parseCIDR(value)
		case "outbound_addr":
			n.OutboundAddr, err = parseOutbound(key, value, false)
		case "outbound_addr6":
			n.OutboundAddr6, err = parseOutbound(key, value, true)
		case "port_handler":
			if value != "slirp4netns" {
				err = fmt.Errorf("--network slirp4netns: port_handler=%q is not supported: urun publishes ports through slirp4netns only (port_handler=slirp4netns)", value)
			}
		default:
			err = fmt.Errorf("unknown --network slirp4netns option %q: known are allow_host_loopback, mtu, cidr, enable_ipv6, outbound_addr, outbound_addr6, port_handler", key)
		}
		if err != nil {
			return Network{}, err
		}
	}
	if n.EnableIPv6 && n.MTU != 0 && n.MTU < MinMTU6 {
		return Network{}, fmt.Errorf("--network slirp4netns: mtu=%d is too small for enable_ipv6=true (IPv6 needs at least %d)", n.MTU, MinMTU6)
	}
	return n, nil
}

func parseBool(key, value string) (bool, error) {
	switch value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("--network slirp4netns: %s=%q must be true or false", key, value)
}

func parseMTU(value string) (int, error) {
	mtu, err := strconv.Atoi(value)
	if err != nil || mtu < MinMTU || mtu > MaxMTU {
		return 0, fmt.Errorf("--network slirp4netns: mtu=%q must be a number from %d to %d", value, MinMTU, MaxMTU)
	}
	return mtu, nil
}

func parseCIDR(value string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(value)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("--network slirp4netns: cidr=%q must be an IPv4 network like 10.0.2.0/24", value)
	}
	// slirp4netns itself refuses prefixes longer than /25 (it needs room
	// for .2, .3, .15 and .100) and a host address in place of the network.
	if p.Bits() < 1 || p.Bits() > 25 {
		return netip.Prefix{}, fmt.Errorf("--network slirp4netns: cidr=%q needs a prefix length from 1 to 25", value)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("--network slirp4netns: cidr=%q is not a network address; use %s", value, p.Masked())
	}
	return p, nil
}

func parseOutbound(key, value string, v6 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(value)
	if err != nil || a.Zone() != "" || a.Is4() == v6 || a.Is4In6() {
		family := "IPv4"
		if v6 {
			family = "IPv6"
		}
		return netip.Addr{}, fmt.Errorf("--network slirp4netns: %s=%q must be an %s address of this host (interface names are not supported)", key, value, family)
	}
	return a, nil
}

// String gives n back in the spelling ParseNetwork reads, with only the
// options that differ from the defaults.
func (n Network) String() string {
	if n.Mode != Slirp4netns {
		return string(n.Mode)
	}
	var opts []string
	if n.AllowHostLoopback {
		opts = append(opts, "allow_host_loopback=true")
	}
	if n.MTU != 0 {
		opts = append(opts, "mtu="+strconv.Itoa(n.MTU))
	}
	if n.CIDR.IsValid() {
		opts = append(opts, "cidr="+n.CIDR.String())
	}
	if n.EnableIPv6 {
		opts = append(opts, "enable_ipv6=true")
	}
	if n.OutboundAddr.IsValid() {
		opts = append(opts, "outbound_addr="+n.OutboundAddr.String())
	}
	if n.OutboundAddr6.IsValid() {
		opts = append(opts, "outbound_addr6="+n.OutboundAddr6.String())
	}
	if len(opts) == 0 {
		return string(Slirp4netns)
	}
	return string(Slirp4netns) + ":" + strings.Join(opts, ",")
}

// mtu is the effective MTU.
func (n Network) mtu() int {
	if n.MTU == 0 {
		return DefaultMTU
	}
	return n.MTU
}

// Prefix is the effective slirp network.
func (n Network) Prefix() netip.Prefix {
	if n.CIDR.IsValid() {
		return n.CIDR
	}
	return DefaultCIDR
}

// nth is the network address plus i, the way slirp4netns numbers its
// well-known hosts.
func (n Network) nth(i uint32) netip.Addr {
	b := n.Prefix().Masked().Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += i
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// GuestAddr is the address slirp4netns --configure gives tap0 (10.0.2.100).
func (n Network) GuestAddr() netip.Addr { return n.nth(100) }

// Gateway is the default route and the host as seen from the container
// (10.0.2.2); it reaches the host's loopback only with AllowHostLoopback.
func (n Network) Gateway() netip.Addr { return n.nth(2) }

// DNS is slirp4netns's DNS forwarder (10.0.2.3).
func (n Network) DNS() netip.Addr { return n.nth(3) }

// DNS6 is slirp4netns's IPv6 DNS forwarder when EnableIPv6 is set.
var DNS6 = netip.MustParseAddr("fd00::3")
