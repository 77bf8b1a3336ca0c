package slirp

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseNetwork(t *testing.T) {
	ok := []struct {
		in   string
		want Network
	}{
		{"none", Network{Mode: None}},
		{"host", Network{Mode: Host}},
		{"slirp4netns", Network{Mode: Slirp4netns}},
		{"slirp4netns:allow_host_loopback=true", Network{Mode: Slirp4netns, AllowHostLoopback: true}},
		{"slirp4netns:allow_host_loopback=false,enable_ipv6=false", Network{Mode: Slirp4netns}},
		{"slirp4netns:mtu=1500", Network{Mode: Slirp4netns, MTU: 1500}},
		{"slirp4netns:mtu=65521", Network{Mode: Slirp4netns, MTU: 65521}},
		{"slirp4netns:cidr=10.0.3.0/24", Network{Mode: Slirp4netns, CIDR: netip.MustParsePrefix("10.0.3.0/24")}},
		{"slirp4netns:cidr=192.168.0.0/16,mtu=9000,enable_ipv6=true,port_handler=slirp4netns",
			Network{Mode: Slirp4netns, CIDR: netip.MustParsePrefix("192.168.0.0/16"), MTU: 9000, EnableIPv6: true}},
		{"slirp4netns:outbound_addr=192.0.2.1,outbound_addr6=2001:db8::1",
			Network{Mode: Slirp4netns, OutboundAddr: netip.MustParseAddr("192.0.2.1"), OutboundAddr6: netip.MustParseAddr("2001:db8::1")}},
	}
	for _, c := range ok {
		got, err := ParseNetwork(c.in)
		if err != nil {
			t.Errorf("ParseNetwork(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseNetwork(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "unknown --network"},
		{"bridge", "unknown --network"},
		{"pasta", "unknown --network"},
		{"none:x=y", "takes no options"},
		{"host:", "takes no options"},
		{"slirp4netns:", "not KEY=VALUE"},
		{"slirp4netns:mtu", "not KEY=VALUE"},
		{"slirp4netns:=1", "not KEY=VALUE"},
		{"slirp4netns:mtu=1500,", "not KEY=VALUE"},
		{"slirp4netns:foo=bar", "unknown --network slirp4netns option \"foo\""},
		{"slirp4netns:allow_host_loopback=yes", "must be true or false"},
		{"slirp4netns:allow_host_loopback=1", "must be true or false"},
		{"slirp4netns:enable_ipv6=TRUE", "must be true or false"},
		{"slirp4netns:mtu=0", "from 68 to 65521"},
		{"slirp4netns:mtu=67", "from 68 to 65521"},
		{"slirp4netns:mtu=65522", "from 68 to 65521"},
		{"slirp4netns:mtu=-1", "from 68 to 65521"},
		{"slirp4netns:mtu=1e3", "from 68 to 65521"},
		{"slirp4netns:mtu=1000,enable_ipv6=true", "too small for enable_ipv6"},
		{"slirp4netns:mtu=1500,mtu=9000", "given twice"},
		{"slirp4netns:cidr=10.0.2.0", "IPv4 network"},
		{"slirp4netns:cidr=fd00::/64", "IPv4 network"},
		{"slirp4netns:cidr=10.0.2.0/26", "prefix length from 1 to 25"},
		{"slirp4netns:cidr=0.0.0.0/0", "prefix length from 1 to 25"},
		{"slirp4netns:cidr=10.0.2.100/24", "use 10.0.2.0/24"},
		{"slirp4netns:port_handler=rootlesskit", "port_handler=slirp4netns"},
		{"slirp4netns:outbound_addr=eth0", "interface names are not supported"},
		{"slirp4netns:outbound_addr=2001:db8::1", "IPv4 address"},
		{"slirp4netns:outbound_addr6=192.0.2.1", "IPv6 address"},
		{"slirp4netns:outbound_addr6=::ffff:192.0.2.1", "IPv6 address"},
	}
	for _, c := range bad {
		_, err := ParseNetwork(c.in)
		if err == nil {
			t.Errorf("ParseNetwork(%q) succeeded, want an error containing %q", c.in, c.msg)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseNetwork(%q) error %q, want one line containing %q", c.in, err, c.msg)
		}
	}
}

func TestNetworkAddresses(t *testing.T) {
	var n Network
	n.Mode = Slirp4netns
	if got := n.GuestAddr().String(); got != "10.0.2.100" {
		t.Errorf("GuestAddr = %s", got)
	}
	if got := n.Gateway().String(); got != "10.0.2.2" {
		t.Errorf("Gateway = %s", got)
	}
	if got := n.DNS().String(); got != "10.0.2.3" {
		t.Errorf("DNS = %s", got)
	}
	n.CIDR = netip.MustParsePrefix("172.16.0.0/12")
	if got := n.GuestAddr().String(); got != "172.16.0.100" {
		t.Errorf("GuestAddr with cidr = %s", got)
	}
	n.CIDR = netip.MustParsePrefix("10.0.2.128/25")
	if got := n.Gateway().String(); got != "10.0.2.130" {
		t.Errorf("Gateway with cidr /25 = %s", got)
	}
}

func TestParsePublish(t *testing.T) {
	any4 := netip.IPv4Unspecified()
	lo := netip.MustParseAddr("127.0.0.1")
	ok := []struct {
		in   string
		want PortMapping
	}{
		{"8080:80", PortMapping{any4, 8080, 80, "tcp"}},
		{"8080:80/tcp", PortMapping{any4, 8080, 80, "tcp"}},
		{"8080:80/TCP", PortMapping{any4, 8080, 80, "tcp"}},
		{"5353:53/udp", PortMapping{any4, 5353, 53, "udp"}},
		{"127.0.0.1:8080:80", PortMapping{lo, 8080, 80, "tcp"}},
		{"127.0.0.1:1:65535/udp", PortMapping{lo, 1, 65535, "udp"}},
		{"[127.0.0.1]:8080:80", PortMapping{lo, 8080, 80, "tcp"}},
		{"[::ffff:127.0.0.1]:8080:80", PortMapping{lo, 8080, 80, "tcp"}},
		{"0.0.0.0:08080:080", PortMapping{any4, 8080, 80, "tcp"}},
	}
	for _, c := range ok {
		got, err := ParsePublish(c.in)
		if err != nil {
			t.Errorf("ParsePublish(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParsePublish(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "give the host port"},
		{"80", "give the host port"},
		{"80/tcp", "give the host port"},
		{":80", "give the host port"},
		{"8080:", "container port is missing"},
		{"127.0.0.1::80", "give the host port"},
		{":8080:80", "empty host address"},
		{"8080:80/sctp", "protocol \"sctp\""},
		{"8080:80/", "protocol \"\""},
		{"0:80", "from 1 to 65535"},
		{"8080:0", "from 1 to 65535"},
		{"65536:80", "from 1 to 65535"},
		{"+80:80", "from 1 to 65535"},
		{"8000-8010:80-90", "ranges are not supported"},
		{"a:b:c:d", "IPv6 host addresses go in brackets"},
		{"::1:8080:80", "IPv6 host addresses go in brackets"},
		{"[::1]:8080:80", "IPv4 host addresses only"},
		{"[fe80::1%eth0]:8080:80", "not an IP address"},
		{"[]:8080:80", "empty host address"},
		{"[::1]8080:80", "expected [HOSTIP]"},
		{"[::1]:8080", "expected [HOSTIP]"},
		{"localhost:8080:80", "not an IP address"},
		{"1.2.3:8080:80", "not an IP address"},
	}
	for _, c := range bad {
		_, err := ParsePublish(c.in)
		if err == nil {
			t.Errorf("ParsePublish(%q) succeeded, want an error containing %q", c.in, c.msg)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParsePublish(%q) error %q, want one line containing %q", c.in, err, c.msg)
		}
	}
}

func TestParseAddHost(t *testing.T) {
	ok := []struct {
		in   string
		want HostEntry
	}{
		{"db:10.1.2.3", HostEntry{Name: "db", IP: netip.MustParseAddr("10.1.2.3")}},
		{"my-db.example.com:10.1.2.3", HostEntry{Name: "my-db.example.com", IP: netip.MustParseAddr("10.1.2.3")}},
		{"v6:2001:db8::1", HostEntry{Name: "v6", IP: netip.MustParseAddr("2001:db8::1")}},
		{"v6:[2001:db8::1]", HostEntry{Name: "v6", IP: netip.MustParseAddr("2001:db8::1")}},
		{"some_host:::ffff:10.0.0.1", HostEntry{Name: "some_host", IP: netip.MustParseAddr("10.0.0.1")}},
		{"host.docker.internal:host-gateway", HostEntry{Name: "host.docker.internal", HostGateway: true}},
	}
	for _, c := range ok {
		got, err := ParseAddHost(c.in)
		if err != nil {
			t.Errorf("ParseAddHost(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseAddHost(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "expected NAME:IP"},
		{"db", "expected NAME:IP"},
		{":1.2.3.4", "host name is empty"},
		{"db:", "not an IP address"},
		{"db:db.example.com", "not an IP address"},
		{"db:fe80::1%eth0", "not an IP address"},
		{"bad name:1.2.3.4", "may only contain"},
		{"bad\tname:1.2.3.4", "may only contain"},
		{"a#b:1.2.3.4", "may only contain"},
		{"-a:1.2.3.4", "starts or ends with '-'"},
		{"a..b:1.2.3.4", "dot-separated labels"},
		{".a:1.2.3.4", "dot-separated labels"},
		{strings.Repeat("a", 64) + ":1.2.3.4", "dot-separated labels"},
		{strings.Repeat("a.", 127) + "ab:1.2.3.4", "longer than 253"},
	}
	for _, c := range bad {
		_, err := ParseAddHost(c.in)
		if err == nil {
			t.Errorf("ParseAddHost(%q) succeeded, want an error containing %q", c.in, c.msg)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseAddHost(%q) error %q, want one line containing %q", c.in, err, c.msg)
		}
	}
}

func TestParseDNS(t *testing.T) {
	for in, want := range map[string]string{
		"1.1.1.1":          "1.1.1.1",
		"2001:4860::8888":  "2001:4860::8888",
		"::ffff:9.9.9.9":   "9.9.9.9",
		"10.0.2.3":         "10.0.2.3",
		"0000:0000::0001":  "::1",
		"192.168.000.001x": "",
		"":                 "",
		"1.1.1.1:53":       "",
		"fe80::1%eth0":     "",
		"0.0.0.0":          "",
		"::":               "",
		"dns.google":       "",
	} {
		got, err := ParseDNS(in)
		if want == "" {
			if err == nil {
				t.Errorf("ParseDNS(%q) = %s, want an error", in, got)
			} else if !strings.HasPrefix(err.Error(), "--dns") {
				t.Errorf("ParseDNS(%q) error %q does not name the flag", in, err)
			}
			continue
		}
		if err != nil || got.String() != want {
			t.Errorf("ParseDNS(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

func TestResolvConf(t *testing.T) {
	slirp := Network{Mode: Slirp4netns}
	cases := []struct {
		n    Network
		dns  []netip.Addr
		want string // "" means nil
	}{
		{slirp, nil, "nameserver 10.0.2.3\n"},
		{Network{Mode: Slirp4netns, EnableIPv6: true}, nil, "nameserver 10.0.2.3\nnameserver fd00::3\n"},
		{Network{Mode: Slirp4netns, CIDR: netip.MustParsePrefix("10.9.0.0/16")}, nil, "nameserver 10.9.0.3\n"},
		{slirp, []netip.Addr{netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("2001:db8::53")}, "nameserver 1.1.1.1\nnameserver 2001:db8::53\n"},
		{Network{Mode: None}, nil, ""},
		{Network{Mode: Host}, nil, ""},
		{Network{Mode: None}, []netip.Addr{netip.MustParseAddr("9.9.9.9")}, "nameserver 9.9.9.9\n"},
	}
	for _, c := range cases {
		got := ResolvConf(c.n, c.dns)
		if c.want == "" {
			if got != nil {
				t.Errorf("ResolvConf(%s, %v) = %q, want nil", c.n, c.dns, got)
			}
			continue
		}
		body := strings.TrimPrefix(string(got), "# Generated by urun for this container.\n")
		if body != c.want {
			t.Errorf("ResolvConf(%s, %v) = %q, want %q", c.n, c.dns, body, c.want)
		}
	}
}

func TestHosts(t *testing.T) {
	slirp := Network{Mode: Slirp4netns}
	extra := []HostEntry{
		{Name: "db", IP: netip.MustParseAddr("10.1.2.3")},
		{Name: "gw", HostGateway: true},
	}
	got := string(Hosts(slirp, "box", extra))
	want := "# Generated by urun for this container.\n" +
		"127.0.0.1\tlocalhost\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"10.1.2.3\tdb\n" +
		"10.0.2.2\tgw\n" +
		"10.0.2.100\tbox\n" +
		"10.0.2.2\thost.containers.internal\n"
	if got != want {
		t.Errorf("Hosts(slirp) =\n%s\nwant\n%s", got, want)
	}

	// A user's own host.containers.internal replaces the generated one.
	got = string(Hosts(slirp, "box", []HostEntry{{Name: HostContainersInternal, IP: netip.MustParseAddr("192.0.2.9")}}))
	if !strings.Contains(got, "192.0.2.9\thost.containers.internal\n") || strings.Contains(got, "10.0.2.2") {
		t.Errorf("user host.containers.internal not kept alone:\n%s", got)
	}

	got = string(Hosts(Network{Mode: None}, "box", nil))
	if !strings.Contains(got, "127.0.1.1\tbox\n") || strings.Contains(got, HostContainersInternal) {
		t.Errorf("Hosts(none) =\n%s", got)
	}
	// An invalid hostname must not be able to inject lines.
	got = string(Hosts(slirp, "x\n1.2.3.4 evil", nil))
	if strings.Contains(got, "evil") {
		t.Errorf("Hosts wrote a bad hostname:\n%s", got)
	}
}

func FuzzParseNetwork(f *testing.F) {
	for _, s := range []string{"none", "host", "slirp4netns", "slirp4netns:allow_host_loopback=true,mtu=1500,cidr=10.0.3.0/24,enable_ipv6=true,port_handler=slirp4netns", "slirp4netns:outbound_addr=1.2.3.4", "slirp4netns:mtu=", "bridge"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNetwork(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q: %q", s, err)
			}
			return
		}
		// What parses must print back to something that parses the same.
		again, err := ParseNetwork(n.String())
		if err != nil || again != n {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, n, n.String(), again, err)
		}
		if n.Mode == Slirp4netns {
			if m := n.mtu(); m < MinMTU || m > MaxMTU {
				t.Fatalf("%q: mtu %d out of range", s, m)
			}
			if !n.Prefix().Contains(n.GuestAddr()) || !n.Prefix().Contains(n.DNS()) {
				t.Fatalf("%q: well-known addresses outside %s", s, n.Prefix())
			}
		}
	})
}

func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{"8080:80", "127.0.0.1:8080:80/udp", "[::1]:1:2", "[127.0.0.1]:1:2/tcp", "80", "1-2:3-4", "a:b:c:d/e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pm, err := ParsePublish(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q: %q", s, err)
			}
			return
		}
		if err := pm.check(); err != nil {
			t.Fatalf("%q parsed to an invalid mapping %+v: %v", s, pm, err)
		}
		again, err := ParsePublish(pm.String())
		if err != nil || again != pm {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, pm, pm.String(), again, err)
		}
	})
}

func FuzzParseAddHost(f *testing.F) {
	for _, s := range []string{"db:10.1.2.3", "v6:2001:db8::1", "a:host-gateway", "x:[::1]", "bad name:1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseAddHost(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q: %q", s, err)
			}
			return
		}
		// Whatever parses must make exactly one well-formed hosts line.
		out := string(Hosts(Network{Mode: Slirp4netns}, "", []HostEntry{e}))
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		want := 5
		if e.Name == HostContainersInternal {
			want = 4
		}
		if len(lines) != want {
			t.Fatalf("%q gave %d lines:\n%s", s, len(lines), out)
		}
		fields := strings.Fields(lines[3])
		if len(fields) != 2 || fields[1] != e.Name {
			t.Fatalf("%q gave the hosts line %q", s, lines[3])
		}
		if _, err := netip.ParseAddr(fields[0]); err != nil {
			t.Fatalf("%q gave the hosts line %q: %v", s, lines[3], err)
		}
	})
}

func FuzzParseDNS(f *testing.F) {
	for _, s := range []string{"1.1.1.1", "::1", "fe80::1%lo", "0.0.0.0", "1.1.1.1:53"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseDNS(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q: %q", s, err)
			}
			return
		}
		out := string(ResolvConf(Network{Mode: None}, []netip.Addr{a}))
		if !strings.HasSuffix(out, "\nnameserver "+a.String()+"\n") || strings.Count(out, "\n") != 2 {
			t.Fatalf("%q gave resolv.conf %q", s, out)
		}
	})
}
