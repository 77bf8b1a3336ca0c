package slirp

// Tests against the real slirp4netns. The test binary re-executes itself as
// a helper (TestMain) in new user and network namespaces, so nothing here
// needs urun's core or root: run it as an unprivileged user too.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const helperEnv = "URUN_SLIRP_TEST_HELPER"

// Ports the netns helper serves inside its namespace.
const (
	helperTCPPort = 8080
	helperUDPPort = 8081
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "netns":
		helperNetns()
		os.Exit(0)
	case "starter":
		helperStarter()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperNetns runs inside new user+net namespaces: a TCP and a UDP echo
// server, and a command loop on stdin:
//
//	ifaces      -> "IFACE MTU ADDR/LEN..." lines, then "end"
//	dial ADDR   -> "ok" or "err MESSAGE" (a TCP connect from inside)
func helperNetns() {
	tl, err := net.Listen("tcp", fmt.Sprintf(":%d", helperTCPPort))
	if err != nil {
		fmt.Println("err", err)
		return
	}
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	ul, err := net.ListenPacket("udp", fmt.Sprintf(":%d", helperUDPPort))
	if err != nil {
		fmt.Println("err", err)
		return
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := ul.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = ul.WriteTo(buf[:n], from)
		}
	}()
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "ifaces":
			ifs, _ := net.Interfaces()
			for _, i := range ifs {
				addrs, _ := i.Addrs()
				var as []string
				for _, a := range addrs {
					as = append(as, a.String())
				}
				fmt.Println(i.Name, i.MTU, strings.Join(as, " "))
			}
			fmt.Println("end")
		case "dial":
			c, err := net.DialTimeout("tcp", arg, 5*time.Second)
			if err != nil {
				fmt.Println("err", err)
				continue
			}
			c.Close()
			fmt.Println("ok")
		}
	}
}

// helperStarter starts slirp4netns for the pid in the environment, prints
// slirp4netns's pid and waits to be killed: it stands in for urun dying.
func helperStarter() {
	pid, _ := strconv.Atoi(os.Getenv("URUN_SLIRP_TEST_PID"))
	s, err := Start(pid, os.Getenv("URUN_SLIRP_TEST_DIR"), Network{Mode: Slirp4netns})
	if err != nil {
		fmt.Println("err", err)
		return
	}
	fmt.Println(s.Pid())
	select {}
}

// netns is a helper process in its own user and network namespaces.
type netns struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
}

// needSlirp skips the test when the real slirp4netns cannot run here.
func needSlirp(t *testing.T) Features {
	t.Helper()
	f, err := Probe()
	if err != nil {
		t.Skipf("SKIP: %v", err)
	}
	if err := checkTun(); err != nil {
		t.Skipf("SKIP: %v", err)
	}
	return f
}

func startNetns(t *testing.T) *netns {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=netns")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		GidMappingsEnableSetgroups: false,
		Pdeathsig:                  syscall.SIGKILL,
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) {
			t.Skipf("SKIP: cannot create user+net namespaces here: %v", err)
		}
		t.Fatal(err)
	}
	h := &netns{t: t, cmd: cmd, in: in, lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() {
		in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	if l := h.line(); l != "ready" {
		t.Fatalf("netns helper: %q", l)
	}
	return h
}

// line is the helper's next output line; the bound only stops a broken
// helper from hanging the test.
func (h *netns) line() string {
	h.t.Helper()
	select {
	case l, ok := <-h.lines:
		if !ok {
			h.t.Fatal("netns helper exited")
		}
		return l
	case <-time.After(30 * time.Second):
		h.t.Fatal("netns helper did not answer")
	}
	return ""
}

func (h *netns) send(cmd string) {
	h.t.Helper()
	if _, err := fmt.Fprintln(h.in, cmd); err != nil {
		h.t.Fatal(err)
	}
}

// iface returns the MTU and addresses of name inside the namespace.
func (h *netns) iface(name string) (mtu int, addrs []string, found bool) {
	h.send("ifaces")
	for l := h.line(); l != "end"; l = h.line() {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == name {
			mtu, _ = strconv.Atoi(f[1])
			addrs, found = f[2:], true
		}
	}
	return mtu, addrs, found
}

func (h *netns) dial(addr string) error {
	h.send("dial " + addr)
	l := h.line()
	if l == "ok" {
		return nil
	}
	return errors.New(l)
}

// defaultRoute reads the namespace's IPv4 default route from
// /proc/PID/net/route, which shows the network namespace of PID.
func defaultRoute(t *testing.T, pid int) (iface string, gw netip.Addr) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/route", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 3 || f[1] != "00000000" {
			continue
		}
		v, err := strconv.ParseUint(f[2], 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		// The file prints addresses in host (little-endian) order.
		return f[0], netip.AddrFrom4([4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
	}
	return "", netip.Addr{}
}

// freePort returns a host port that is free for proto on 127.0.0.1 now.
func freePort(t *testing.T, proto string) uint16 {
	t.Helper()
	var addr net.Addr
	if proto == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = c.LocalAddr()
		c.Close()
		return uint16(addr.(*net.UDPAddr).Port)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr()
	l.Close()
	return uint16(addr.(*net.TCPAddr).Port)
}

// gone reports whether pid has exited and been reaped.
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestRealSlirp(t *testing.T) {
	needSlirp(t)
	h := startNetns(t)
	pid := h.cmd.Process.Pid
	dir := t.TempDir()

	s, err := Start(pid, dir, Network{Mode: Slirp4netns})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()

	mtu, addrs, found := h.iface("tap0")
	if !found {
		t.Fatal("no tap0 in the namespace")
	}
	if mtu != DefaultMTU {
		t.Errorf("tap0 MTU %d, want %d", mtu, DefaultMTU)
	}
	if !contains(addrs, "10.0.2.100/24") {
		t.Errorf("tap0 addresses %v, want 10.0.2.100/24", addrs)
	}
	if dev, gw := defaultRoute(t, pid); dev != "tap0" || gw.String() != "10.0.2.2" {
		t.Errorf("default route via %s dev %s, want 10.0.2.2 dev tap0", gw, dev)
	}

	t.Run("tcp forward", func(t *testing.T) {
		port := freePort(t, "tcp")
		pm := PortMapping{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: port, ContainerPort: helperTCPPort, Protocol: "tcp"}
		if err := s.AddHostFwd(pm); err != nil {
			t.Fatalf("AddHostFwd(%s): %v", pm, err)
		}
		c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write([]byte("hello tcp\n")); err != nil {
			t.Fatal(err)
		}
		got, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || got != "hello tcp\n" {
			t.Fatalf("echo through the forward: %q, %v", got, err)
		}
		// The same host port again is taken now: one line naming it.
		err = s.AddHostFwd(pm)
		if err == nil || !strings.Contains(err.Error(), strconv.Itoa(int(port))) || !strings.Contains(err.Error(), "already in use") {
			t.Fatalf("second AddHostFwd(%s): %v, want 'already in use' naming the port", pm, err)
		}
	})

	t.Run("udp forward", func(t *testing.T) {
		// libslirp drops the container's UDP replies to the host's
		// loopback when host loopback is disabled (podman#4586), so with
		// the default network the client must use a non-loopback address
		// of this host; TestRealSlirpOptions covers 127.0.0.1.
		src := hostAddr(t)
		udpEcho(t, s, src, src)
	})

	t.Run("taken port", func(t *testing.T) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := uint16(l.Addr().(*net.TCPAddr).Port)
		for _, ip := range []string{"127.0.0.1", "0.0.0.0"} {
			pm := PortMapping{HostIP: netip.MustParseAddr(ip), HostPort: port, ContainerPort: 80, Protocol: "tcp"}
			err := s.AddHostFwd(pm)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("host port %d/tcp", port)) || strings.Contains(err.Error(), "\n") {
				t.Errorf("AddHostFwd on a taken port %s: %v", pm, err)
			}
		}
	})

	t.Run("host loopback refused", func(t *testing.T) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		port := l.Addr().(*net.TCPAddr).Port
		if err := h.dial(fmt.Sprintf("10.0.2.2:%d", port)); err == nil {
			t.Fatal("the container reached the host's 127.0.0.1 through 10.0.2.2 without allow_host_loopback")
		}
	})

	// slirp4netns dying under a running container is reported.
	spid := s.Pid()
	if err := syscall.Kill(spid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.Done():
		if err == nil || !strings.Contains(err.Error(), "exited unexpectedly") {
			t.Errorf("Done after SIGKILL: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Done did not report the killed slirp4netns")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after death: %v", err)
	}
	if !gone(spid) {
		t.Errorf("slirp4netns %d still exists", spid)
	}
}

// hostAddr is a non-loopback IPv4 address of this host (traffic to it stays
// on the host); the test skips when there is none.
func hostAddr(t *testing.T) netip.Addr {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() {
			return p.Addr()
		}
	}
	t.Skip("SKIP: this host has no non-loopback IPv4 address to send UDP from")
	return netip.Addr{}
}

// udpEcho publishes the helper's UDP echo port on hostIP and sends a
// datagram to it from src.
func udpEcho(t *testing.T, s *Slirp, hostIP, src netip.Addr) {
	t.Helper()
	port := freePort(t, "udp")
	pm := PortMapping{HostIP: hostIP, HostPort: port, ContainerPort: helperUDPPort, Protocol: "udp"}
	if err := s.AddHostFwd(pm); err != nil {
		t.Fatalf("AddHostFwd(%s): %v", pm, err)
	}
	c, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)),
		net.UDPAddrFromAddrPort(netip.AddrPortFrom(hostIP, port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	// UDP may lose a datagram while slirp sets the flow up: resend until
	// the echo comes back (a bounded number of tries, not a timing test).
	for try := 0; ; try++ {
		if try == 50 {
			t.Fatalf("no UDP echo through %s from %s", pm, src)
		}
		if _, err := c.Write([]byte("hello udp")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Read(buf)
		if err == nil {
			if string(buf[:n]) != "hello udp" {
				t.Fatalf("UDP echo %q", buf[:n])
			}
			return
		}
	}
}

func setSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRealSlirpOptions(t *testing.T) {
	needSlirp(t)
	h := startNetns(t)
	pid := h.cmd.Process.Pid
	n, err := ParseNetwork("slirp4netns:allow_host_loopback=true,mtu=9000,cidr=10.0.3.0/24")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(pid, t.TempDir(), n)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	mtu, addrs, found := h.iface("tap0")
	if !found || mtu != 9000 || !contains(addrs, "10.0.3.100/24") {
		t.Errorf("tap0: found %v mtu %d addrs %v, want mtu 9000 and 10.0.3.100/24", found, mtu, addrs)
	}
	if dev, gw := defaultRoute(t, pid); dev != "tap0" || gw != n.Gateway() {
		t.Errorf("default route via %s dev %s, want %s dev tap0", gw, dev, n.Gateway())
	}

	// With allow_host_loopback the gateway reaches the host's 127.0.0.1.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	if err := h.dial(fmt.Sprintf("%s:%d", n.Gateway(), port)); err != nil {
		t.Errorf("allow_host_loopback=true: dial the host's loopback through %s: %v", n.Gateway(), err)
	}

	// With host loopback allowed, UDP replies reach 127.0.0.1 clients.
	lo := netip.MustParseAddr("127.0.0.1")
	udpEcho(t, s, lo, lo)

	spid := s.Pid()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// Close went through the exit fd, so Done reports no error.
	if err, ok := <-s.Done(); ok || err != nil {
		t.Errorf("Done after Close: %v, %v", err, ok)
	}
	if !gone(spid) {
		t.Errorf("slirp4netns %d is still there after Close", spid)
	}
	if _, err := os.Stat(s.APISocket()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("API socket left after Close: %v", err)
	}
}

// TestRealSlirpOwnerKilled kills the process that started slirp4netns with
// SIGKILL, as when urun is killed: slirp4netns must go too.
func TestRealSlirpOwnerKilled(t *testing.T) {
	needSlirp(t)
	h := startNetns(t)
	// Adopt orphans so that the test can wait for slirp4netns, which is the
	// starter's child, after the starter is gone.
	if err := setSubreaper(); err != nil {
		t.Skipf("SKIP: PR_SET_CHILD_SUBREAPER: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=starter",
		"URUN_SLIRP_TEST_PID="+strconv.Itoa(h.cmd.Process.Pid), "URUN_SLIRP_TEST_DIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("starter: %q %v", line, err)
	}
	spid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("starter: %q", line)
	}
	if _, _, found := h.iface("tap0"); !found {
		t.Fatal("no tap0 after the starter's Start")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	reaped := make(chan error, 1)
	go func() {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(spid, &ws, 0, nil)
		reaped <- err
	}()
	select {
	case err := <-reaped:
		if err != nil {
			t.Fatalf("waiting for the orphaned slirp4netns %d: %v", spid, err)
		}
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(spid, syscall.SIGKILL)
		t.Fatalf("slirp4netns %d outlived the process that started it", spid)
	}
	if _, _, found := h.iface("tap0"); found {
		t.Error("tap0 still exists after slirp4netns ended")
	}
}

// TestRealSlirpTunDenied runs only where /dev/net/tun is not usable (an
// unprivileged user on a host without udev): Start must say so in one line.
func TestRealSlirpTunDenied(t *testing.T) {
	if _, err := Probe(); err != nil {
		t.Skipf("SKIP: %v", err)
	}
	if checkTun() == nil {
		t.Skip("SKIP: /dev/net/tun is usable here, so the tun error cannot be shown")
	}
	h := startNetns(t)
	_, err := Start(h.cmd.Process.Pid, t.TempDir(), Network{Mode: Slirp4netns})
	if !errors.Is(err, ErrTunPermission) {
		t.Fatalf("Start with an unusable /dev/net/tun: %v", err)
	}
	t.Logf("pre-check: %v", err)
	// Without the pre-check, slirp4netns's own failure is explained the
	// same way.
	_, err = start(h.cmd.Process.Pid, t.TempDir(), Network{Mode: Slirp4netns}, false)
	if err == nil || !strings.Contains(err.Error(), "chmod 0666 /dev/net/tun") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("slirp4netns with an unusable /dev/net/tun: %v", err)
	}
}

// TestRealSlirpBadTarget: a pid that does not exist gives a clear line and
// leaves no process.
func TestRealSlirpBadTarget(t *testing.T) {
	needSlirp(t)
	// Start a process and reap it, so its pid is free (and, on this
	// machine, not reused within the test).
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	_, err := Start(c.Process.Pid, t.TempDir(), Network{Mode: Slirp4netns})
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "is gone") {
		t.Fatalf("Start for a dead pid: %v", err)
	}
}
