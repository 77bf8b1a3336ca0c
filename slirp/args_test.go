package slirp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// help120 is the usage text of slirp4netns 1.2.0 (Debian 12), trimmed.
const help120 = `Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]
-c, --configure          bring up the interface
-e, --exit-fd=FD         specify the FD for terminating slirp4netns
-r, --ready-fd=FD        specify the FD to write to when the network is configured
-m, --mtu=MTU            specify MTU (default=1500, max=65521)
-6, --enable-ipv6        enable IPv6 (experimental)
-a, --api-socket=PATH    specify API socket path
--cidr=CIDR              specify network address CIDR (default=10.0.2.0/24)
--disable-host-loopback  prohibit connecting to 127.0.0.1:* on the host namespace
--enable-sandbox         create a new mount namespace
--enable-seccomp         enable seccomp to limit syscalls (experimental)
--outbound-addr=IPv4     sets outbound ipv4 address to bound to (experimental)
--outbound-addr6=IPv6    sets outbound ipv6 address to bound to (experimental)
-h, --help               show this help and exit
`

// help03 is an older release: no sandbox, seccomp, outbound or IPv6 options
// and no --disable-host-loopback.
const help03 = `Usage: slirp4netns [OPTION]... PID TAPNAME
-c, --configure          bring up the interface
-e, --exit-fd=FD         specify the FD for terminating slirp4netns
-r, --ready-fd=FD        specify the FD to write to when the network is configured
-m, --mtu=MTU            specify MTU (default=1500, max=65521)
-a, --api-socket=PATH    specify API socket path
`

func TestParseHelp(t *testing.T) {
	f := parseHelp("/usr/bin/slirp4netns", help120)
	want := Features{Path: "/usr/bin/slirp4netns", Configure: true, ExitFD: true, ReadyFD: true, MTU: true, CIDR: true,
		DisableHostLoopback: true, APISocket: true, EnableSandbox: true, EnableSeccomp: true, EnableIPv6: true,
		OutboundAddr: true, OutboundAddr6: true}
	if f != want {
		t.Errorf("1.2.0 features = %+v", f)
	}
	f = parseHelp("old", help03)
	if !f.Configure || !f.APISocket || f.EnableSandbox || f.EnableSeccomp || f.DisableHostLoopback || f.CIDR || f.OutboundAddr {
		t.Errorf("0.3 features = %+v", f)
	}
	// --outbound-addr6 alone must not count as --outbound-addr.
	f = parseHelp("x", "--outbound-addr6=IPv6  only v6\n")
	if f.OutboundAddr || !f.OutboundAddr6 {
		t.Errorf("outbound-addr6 only: %+v", f)
	}
}

func TestProbeMissing(t *testing.T) {
	_, err := probe("urun-no-such-slirp4netns")
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("probe of a missing binary: %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "apt-get install slirp4netns") {
		t.Errorf("error does not say what to install: %v", err)
	}
}

func TestBuildArgs(t *testing.T) {
	f := parseHelp("/usr/bin/slirp4netns", help120)
	args, err := buildArgs(f, Network{Mode: Slirp4netns}, 42, 3, 4, "s.sock")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args, " ")
	want := "--configure --ready-fd=3 --exit-fd=4 --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp --api-socket=s.sock 42 tap0"
	if got != want {
		t.Errorf("default args\n got %s\nwant %s", got, want)
	}

	n := Network{Mode: Slirp4netns, AllowHostLoopback: true, MTU: 1500, CIDR: netip.MustParsePrefix("10.0.3.0/24"),
		EnableIPv6: true, OutboundAddr: netip.MustParseAddr("192.0.2.1")}
	args, err = buildArgs(f, n, 7, 3, 4, "")
	if err != nil {
		t.Fatal(err)
	}
	got = strings.Join(args, " ")
	want = "--configure --ready-fd=3 --exit-fd=4 --mtu=1500 --cidr=10.0.3.0/24 --enable-ipv6 --outbound-addr=192.0.2.1 --enable-sandbox --enable-seccomp 7 tap0"
	if got != want {
		t.Errorf("option args\n got %s\nwant %s", got, want)
	}

	old := parseHelp("old", help03)
	// Without --disable-host-loopback the default must be refused, not
	// silently opened up.
	if _, err := buildArgs(old, Network{Mode: Slirp4netns}, 1, 3, 4, ""); err == nil || !strings.Contains(err.Error(), "allow_host_loopback=true") {
		t.Errorf("old slirp4netns without --disable-host-loopback: %v", err)
	}
	args, err = buildArgs(old, Network{Mode: Slirp4netns, AllowHostLoopback: true}, 1, 3, 4, "")
	if err != nil || strings.Contains(strings.Join(args, " "), "sandbox") {
		t.Errorf("old slirp4netns with allow_host_loopback: %v %v", args, err)
	}
	if _, err := buildArgs(old, Network{Mode: Slirp4netns, AllowHostLoopback: true, CIDR: netip.MustParsePrefix("10.0.3.0/24")}, 1, 3, 4, ""); err == nil || !strings.Contains(err.Error(), "--cidr") {
		t.Errorf("old slirp4netns with cidr: %v", err)
	}
	if _, err := buildArgs(Features{Path: "ancient", Configure: true}, Network{Mode: Slirp4netns}, 1, 3, 4, ""); err == nil || !strings.Contains(err.Error(), "too old") {
		t.Errorf("slirp4netns without --exit-fd: %v", err)
	}
}

func TestExplain(t *testing.T) {
	cases := []struct{ log, want string }{
		{"open(\"/dev/net/tun\"): Permission denied\nWARNING: Support for seccomp is experimental\nchild failed(1)\n", "chmod 0666 /dev/net/tun"},
		{"Failed to open tun socket: Permission denied\n", "chmod 0666 /dev/net/tun"},
		{"open(\"/dev/net/tun\"): No such file or directory\nchild failed(1)\n", "modprobe tun"},
		{"/proc/4242/ns/user: No such file or directory\nchild failed(1)\n", "process 4242 is gone"},
		{"setns(CLONE_NEWNET): Operation not permitted\nchild failed(1)\n", "cannot join the namespaces of process 4242"},
		{"sent tapfd=5 for tap0\nreceived tapfd=5\nsomething odd happened\nWARNING: Support for seccomp is experimental\n", "something odd happened"},
		{"", "no message"},
	}
	for _, c := range cases {
		got := explain(c.log, 4242)
		if !strings.Contains(got, c.want) || strings.Contains(got, "\n") {
			t.Errorf("explain(%q) = %q, want one line containing %q", c.log, got, c.want)
		}
	}
}
