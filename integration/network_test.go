package integration

// Network tests: the real urun with the real slirp4netns, as the test user.
// They use only loopback, the host's own addresses and slirp4netns's
// addresses (10.0.2.x); nothing leaves the machine.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/urun-dev/urun/internal/testutil"
)

// netUser is user() for tests that need slirp4netns: it skips with the
// reason when slirp4netns is missing or /dev/net/tun is closed to users.
func netUser(t *testing.T) *testutil.Env {
	t.Helper()
	if _, err := exec.LookPath("slirp4netns"); err != nil {
		t.Skip("SKIP: slirp4netns missing (apt-get install slirp4netns)")
	}
	st, err := os.Stat("/dev/net/tun")
	if err != nil || st.Mode().Perm()&0o006 != 0o006 {
		t.Skip("SKIP: /dev/net/tun is not read-write for users (run hack/tun.sh as root)")
	}
	return user(t)
}

// freePort is a port free on 127.0.0.1 for proto right now.
func freePort(t *testing.T, proto string) int {
	t.Helper()
	if proto == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hostAddr is a non-loopback IPv4 address of this host, or skips.
func hostAddr(t *testing.T) netip.Addr {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() {
			return p.Addr()
		}
	}
	t.Skip("SKIP: no non-loopback IPv4 address on this host")
	return netip.Addr{}
}

var (
	udpechoOnce sync.Once
	udpechoErr  error
)

// installUDPEcho puts the static udpecho helper into the test rootfs as
// /bin/udpecho (busybox has no UDP server).
func installUDPEcho(t *testing.T, e *testutil.Env) {
	t.Helper()
	udpechoOnce.Do(func() {
		dst := filepath.Join(e.Rootfs, "bin", "udpecho")
		udpechoErr = e.InstallTool("./internal/testutil/udpecho", dst)
	})
	if udpechoErr != nil {
		t.Fatal(udpechoErr)
	}
}

// running is a urun started in the background whose stdout and stderr lines
// arrive on channels.
type running struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout chan string
	stderr chan string
	done   chan struct{}
	status int
}

// startRun starts urun and waits for the container's first stdout line
// ("ready" by convention in these tests).
func startRun(t *testing.T, e *testutil.Env, args ...string) *running {
	t.Helper()
	r := &running{t: t, cmd: e.Command(args...), stdout: make(chan string, 100), stderr: make(chan string, 100), done: make(chan struct{})}
	out, _ := r.cmd.StdoutPipe()
	errp, _ := r.cmd.StderrPipe()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, p := range []struct {
		r  io.Reader
		ch chan string
	}{{out, r.stdout}, {errp, r.stderr}} {
		wg.Add(1)
		go func(rd io.Reader, ch chan string) {
			defer wg.Done()
			sc := bufio.NewScanner(rd)
			for sc.Scan() {
				ch <- sc.Text()
			}
			close(ch)
		}(p.r, p.ch)
	}
	go func() {
		wg.Wait()
		r.status = status(r.cmd.Wait())
		close(r.done)
	}()
	t.Cleanup(func() { r.stop() })
	select {
	case l, ok := <-r.stdout:
		if !ok || l != "ready" {
			r.stop()
			t.Fatalf("container did not start: %q; stderr: %s", l, r.drain(r.stderr))
		}
	case <-time.After(60 * time.Second):
		r.stop()
		t.Fatalf("container did not start; stderr: %s", r.drain(r.stderr))
	}
	return r
}

func (r *running) drain(ch chan string) string {
	var lines []string
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				return strings.Join(lines, "\n")
			}
			lines = append(lines, l)
		case <-time.After(100 * time.Millisecond):
			return strings.Join(lines, "\n")
		}
	}
}

// stop sends SIGTERM to urun (which stops the container) and waits.
func (r *running) stop() int {
	select {
	case <-r.done:
		return r.status
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(60 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		r.t.Errorf("urun did not stop on SIGTERM")
	}
	return r.status
}

// children lists the pids of pid's child processes.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// slirpOf is the slirp4netns child of a urun process.
func slirpOf(t *testing.T, urunPid int) int {
	t.Helper()
	for _, c := range children(urunPid) {
		if comm(c) == "slirp4netns" {
			return c
		}
	}
	t.Fatalf("urun %d has no slirp4netns child (children %v)", urunPid, children(urunPid))
	return 0
}

// slirpsOf lists live slirp4netns processes of the test user. Zombies are
// left out: once urun is gone (SIGKILL) its dead children are reaped by PID
// 1, which on some machines does that only every second or so; a zombie holds
// no network and no ports.
func slirpsOf(e *testutil.Env) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, d := range ents {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || comm(pid) != "slirp4netns" {
			continue
		}
		if st, _ := os.ReadFile("/proc/" + d.Name() + "/stat"); strings.Contains(string(st), ") Z ") {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat("/proc/"+d.Name(), &st) == nil && int(st.Uid) == e.UID {
			out = append(out, pid)
		}
	}
	return out
}

// noSlirpLeft fails the test if a slirp4netns of the test user survives.
// A process that is exiting may take a moment to be reaped by its new
// parent, so this polls (bounded), without asserting any timing.
func noSlirpLeft(t *testing.T, e *testutil.Env) {
	t.Helper()
	var left []int
	for i := 0; i < 100; i++ {
		if left = slirpsOf(e); len(left) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("slirp4netns left behind: %v", left)
}

func TestNetworkAddressAndRoute(t *testing.T) {
	e := netUser(t)
	// No --network: slirp4netns is the default for users.
	out := e.MustRun(t, e.Rootfs, "sh", "-c", "ip -4 addr show tap0; ip route; cat /sys/class/net/tap0/mtu")
	for _, want := range []string{"inet 10.0.2.100/24", "default via 10.0.2.2 dev tap0", "\n65520\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	out = e.MustRun(t, "run", "--network", "slirp4netns:cidr=10.0.3.0/24,mtu=1500", e.Rootfs, "sh", "-c", "ip -4 addr show tap0; ip route; cat /sys/class/net/tap0/mtu")
	for _, want := range []string{"inet 10.0.3.100/24", "default via 10.0.3.2 dev tap0", "\n1500\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("cidr and mtu: want %q in:\n%s", want, out)
		}
	}
	noSlirpLeft(t, e)
}

func TestNetworkEtcFiles(t *testing.T) {
	e := netUser(t)
	out := e.MustRun(t, "run", "--hostname", "box", e.Rootfs, "cat", "/etc/resolv.conf", "/etc/hosts")
	for _, want := range []string{"\nnameserver 10.0.2.3\n", "\n127.0.0.1\tlocalhost\n", "\n10.0.2.100\tbox\n", "\n10.0.2.2\thost.containers.internal\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	out = e.MustRun(t, "run", "--hostname", "box", "--dns", "192.0.2.53", "--dns", "2001:db8::53",
		"--add-host", "db:10.1.2.3", "--add-host", "gw:host-gateway", e.Rootfs, "cat", "/etc/resolv.conf", "/etc/hosts")
	for _, want := range []string{"\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n", "\n10.1.2.3\tdb\n", "\n10.0.2.2\tgw\n", "\n10.0.2.100\tbox\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("--dns/--add-host: want %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "10.0.2.3") {
		t.Errorf("--dns given, but the slirp forwarder is still listed:\n%s", out)
	}
	// The files are bind mounts from the run's state directory: the rootfs
	// keeps its own (empty) files.
	for _, f := range []string{"etc/hosts", "etc/resolv.conf"} {
		if b, err := os.ReadFile(filepath.Join(e.Rootfs, f)); err != nil || len(b) != 0 {
			t.Errorf("rootfs %s was written: %q %v", f, b, err)
		}
	}
	out = e.MustRun(t, "run", "--network", "none", "--hostname", "box", e.Rootfs, "cat", "/etc/hosts")
	if !strings.Contains(out, "\n127.0.1.1\tbox\n") || strings.Contains(out, "10.0.2") {
		t.Errorf("--network none hosts:\n%s", out)
	}
}

// httpGet fetches url, retrying while the server in the container is not
// answering yet (a bounded number of tries, not a timing assertion).
func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var last error
	for i := 0; i < 100; i++ {
		resp, err := client.Get(url)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				return string(b)
			}
			last = fmt.Errorf("status %d, %v", resp.StatusCode, err)
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// httpd is the container command: busybox httpd serving body on port 80.
// httpd forks into the background once it listens, then "ready" is printed.
// The rootfs (and its /tmp) is shared by the tests, so each server has its
// own directory, removed when the test ends.
func httpd(t *testing.T, e *testutil.Env, body string) []string {
	www := "/tmp/www-" + body
	t.Cleanup(func() { os.RemoveAll(filepath.Join(e.Rootfs, www)) })
	return []string{"sh", "-c", "mkdir -p " + www + " && echo " + body + " > " + www + "/index.html && httpd -p 80 -h " + www + " && echo ready && exec sleep 1000"}
}

func TestPublishTCP(t *testing.T) {
	e := netUser(t)
	port := freePort(t, "tcp")
	r := startRun(t, e, append([]string{"run", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), e.Rootfs}, httpd(t, e, "hello-from-urun")...)...)
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/index.html", port)); got != "hello-from-urun\n" {
		t.Errorf("GET through -p: %q", got)
	}
	if s := r.stop(); s != 143 {
		t.Errorf("status after SIGTERM %d, want 143", s)
	}
	noSlirpLeft(t, e)
}

func TestPublishTwoContainers(t *testing.T) {
	e := netUser(t)
	p1, p2 := freePort(t, "tcp"), freePort(t, "tcp")
	// The first uses the default host address (0.0.0.0), which loopback
	// reaches too.
	r1 := startRun(t, e, append([]string{"run", "-p", fmt.Sprintf("%d:80", p1), e.Rootfs}, httpd(t, e, "one")...)...)
	r2 := startRun(t, e, append([]string{"run", "-p", fmt.Sprintf("127.0.0.1:%d:80/tcp", p2), e.Rootfs}, httpd(t, e, "two")...)...)
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", p1)); got != "one\n" {
		t.Errorf("first container: %q", got)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", p2)); got != "two\n" {
		t.Errorf("second container: %q", got)
	}
	r1.stop()
	r2.stop()
	noSlirpLeft(t, e)
}

// udpEcho sends datagrams from src to dst until one comes back (UDP may drop
// the first while slirp4netns sets the flow up).
func udpEcho(t *testing.T, src netip.Addr, dst netip.AddrPort) {
	t.Helper()
	c, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), net.UDPAddrFromAddrPort(dst))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	for i := 0; i < 50; i++ {
		if _, err := c.Write([]byte("ping-udp")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			if string(buf[:n]) != "ping-udp" {
				t.Fatalf("UDP echo %q", buf[:n])
			}
			return
		}
	}
	t.Fatalf("no UDP echo from %s through %s", src, dst)
}

func TestPublishUDP(t *testing.T) {
	e := netUser(t)
	installUDPEcho(t, e)
	lo := netip.MustParseAddr("127.0.0.1")

	// libslirp drops the container's UDP replies to the host's loopback
	// while host loopback is disabled (the default; podman#4586), so a
	// client on 127.0.0.1 needs allow_host_loopback=true ...
	port := freePort(t, "udp")
	r := startRun(t, e, "run", "--network", "slirp4netns:allow_host_loopback=true", "-p", fmt.Sprintf("127.0.0.1:%d:5353/udp", port), e.Rootfs, "udpecho", "5353")
	udpEcho(t, lo, netip.AddrPortFrom(lo, uint16(port)))
	r.stop()

	// ... and with the default, a client on another address of the host
	// gets its answer.
	src := hostAddr(t)
	port = freePort(t, "udp")
	r = startRun(t, e, "run", "-p", fmt.Sprintf("%d:5353/udp", port), e.Rootfs, "udpecho", "5353")
	udpEcho(t, src, netip.AddrPortFrom(src, uint16(port)))
	r.stop()
	noSlirpLeft(t, e)
}

// hostListener accepts on 127.0.0.1 and delivers what each connection sent.
func hostListener(t *testing.T) (int, chan string) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan string, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b, _ := io.ReadAll(io.LimitReader(c, 100))
			c.Close()
			got <- string(b)
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, got
}

func TestHostLoopback(t *testing.T) {
	e := netUser(t)
	port, got := hostListener(t)
	send := fmt.Sprintf("echo from-container | nc -w 5 10.0.2.2 %d", port)

	r := e.Run(t, "", e.Rootfs, "sh", "-c", send)
	if r.Status == 0 {
		t.Errorf("the container reached the host's 127.0.0.1:%d through 10.0.2.2 by default", port)
	}
	select {
	case s := <-got:
		t.Errorf("the host's loopback listener got %q from a default container", s)
	default:
	}

	r = e.Run(t, "", "run", "--network", "slirp4netns:allow_host_loopback=true", e.Rootfs, "sh", "-c", send)
	if r.Status != 0 {
		t.Fatalf("allow_host_loopback=true: nc failed with %d: %s", r.Status, r.Stderr)
	}
	select {
	case s := <-got:
		if s != "from-container\n" {
			t.Errorf("host listener got %q", s)
		}
	case <-time.After(30 * time.Second):
		t.Error("allow_host_loopback=true: the host's loopback listener got nothing")
	}
	noSlirpLeft(t, e)
}

func TestPublishTakenPort(t *testing.T) {
	e := netUser(t)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	for _, spec := range []string{fmt.Sprintf("127.0.0.1:%d:80", port), fmt.Sprintf("%d:80", port)} {
		r := e.Run(t, "", "run", "-p", spec, e.Rootfs, "echo", "should-not-run")
		if r.Status != 125 {
			t.Errorf("-p %s on a taken port: status %d, want 125", spec, r.Status)
		}
		want := fmt.Sprintf("host port %d/tcp", port)
		if !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "already in use") || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("-p %s: stderr %q, want one line naming %s as in use", spec, r.Stderr, want)
		}
		if r.Stdout != "" {
			t.Errorf("the command ran: %q", r.Stdout)
		}
	}
	// A privileged host port is refused the same way for an ordinary user.
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil && e.UID != 0 {
		if start, _ := strconv.Atoi(strings.TrimSpace(string(b))); start > 80 {
			r := e.Run(t, "", "run", "-p", "127.0.0.1:80:80", e.Rootfs, "echo", "should-not-run")
			if r.Status != 125 || !strings.Contains(r.Stderr, "host port 80/tcp") || strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("-p 127.0.0.1:80:80 as a user: status %d, stderr %q", r.Status, r.Stderr)
			}
		}
	}
	noSlirpLeft(t, e)
}

func TestNetworkBadInput(t *testing.T) {
	e := user(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--network", "bogus"}, `unknown --network "bogus"`},
		{[]string{"--network", "slirp4netns:mtu=0"}, "mtu"},
		{[]string{"--network", "slirp4netns:foo=1"}, `option "foo"`},
		{[]string{"--network", "slirp4netns:port_handler=rootlesskit"}, "port_handler"},
		{[]string{"--network", "none:x=1"}, "takes no options"},
		{[]string{"-p", "80"}, "give the host port"},
		{[]string{"-p", "8080:80/sctp"}, "sctp"},
		{[]string{"-p", "70000:80"}, "from 1 to 65535"},
		{[]string{"-p", "8000-8001:80-81"}, "ranges"},
		{[]string{"-p", "[::1]:8080:80"}, "IPv4"},
		{[]string{"-p", "127.0.0.1:18080:80", "-p", "127.0.0.1:18080:81"}, "both publish"},
		{[]string{"--network", "none", "-p", "18080:80"}, "-p needs --network slirp4netns"},
		{[]string{"--dns", "dns.google"}, "--dns"},
		{[]string{"--add-host", "db"}, "NAME:IP"},
		{[]string{"--add-host", "bad name:1.2.3.4"}, "--add-host"},
	}
	for _, c := range cases {
		args := append(append([]string{"run"}, c.args...), e.Rootfs, "echo", "should-not-run")
		r := e.Run(t, "", args...)
		if r.Status != 125 || !strings.Contains(r.Stderr, c.want) || strings.Count(r.Stderr, "\n") != 1 || r.Stdout != "" {
			t.Errorf("urun %v: status %d, stderr %q; want 125 and one line containing %q", c.args, r.Status, r.Stderr, c.want)
		}
	}
}

// TestSlirpMissing runs urun where slirp4netns is not installed: in a
// private mount namespace /dev/null is bound over the binary (urun looks in
// /usr/bin whatever PATH says), so the host's file is not touched.
func TestSlirpMissing(t *testing.T) {
	e := user(t)
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root to hide slirp4netns in a private mount namespace")
	}
	bin, err := exec.LookPath("slirp4netns")
	if err != nil {
		t.Skip("SKIP: slirp4netns is not installed, nothing to hide")
	}
	run := func(args ...string) (string, string, int) {
		script := fmt.Sprintf(`mount --bind /dev/null %s && exec setpriv --reuid=%d --regid=%d --clear-groups env -i HOME=%s PATH=/usr/bin:/bin "$@"`,
			bin, e.UID, e.GID, e.Home)
		cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", e.Bin}, args...)...)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		st := status(cmd.Run())
		return out.String(), errb.String(), st
	}
	out, errs, s := run(e.Rootfs, "cat", "/proc/net/dev")
	if s != 0 {
		t.Fatalf("default network without slirp4netns: status %d: %s", s, errs)
	}
	if strings.Count(out, ":") != 1 || !strings.Contains(out, "lo:") {
		t.Errorf("fallback is not --network none:\n%s", out)
	}
	if n := strings.Count(errs, "\n"); n != 1 || !strings.Contains(errs, "slirp4netns is not installed") {
		t.Errorf("want one notice line about slirp4netns, got %q", errs)
	}
	_, errs, s = run("run", "--network", "slirp4netns", e.Rootfs, "true")
	if s != 125 {
		t.Errorf("explicit --network slirp4netns without it: status %d, want 125", s)
	}
	if strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "apt-get install slirp4netns") {
		t.Errorf("want one line naming the package, got %q", errs)
	}
}

// TestTunUnusable runs urun where /dev/net/tun is 0600 root, as on a host
// without udev. The test makes that in a private mount namespace (a fresh
// node bound over /dev/net/tun), so the host's device is not touched.
func TestTunUnusable(t *testing.T) {
	e := netUser(t)
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root to make a private /dev/net/tun")
	}
	dir := t.TempDir()
	script := fmt.Sprintf(`mount -t tmpfs tmpfs %[1]s && mknod -m 600 %[1]s/tun c 10 200 && mount --bind %[1]s/tun /dev/net/tun &&
exec setpriv --reuid=%[2]d --regid=%[3]d --clear-groups env -i HOME=%[4]s PATH=/usr/bin:/bin %[5]s %[6]s true`,
		dir, e.UID, e.GID, e.Home, e.Bin, e.Rootfs)
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	var errb strings.Builder
	cmd.Stderr = &errb
	if s := status(cmd.Run()); s != 125 {
		t.Fatalf("status %d, want 125; stderr %q", s, errb.String())
	}
	if strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "chmod 0666 /dev/net/tun") {
		t.Errorf("want one line with the fix, got %q", errb.String())
	}
	noSlirpLeft(t, e)
}

func TestNoSlirpLeft(t *testing.T) {
	e := netUser(t)
	port := freePort(t, "tcp")
	pub := fmt.Sprintf("127.0.0.1:%d:80", port)

	t.Run("normal exit", func(t *testing.T) {
		e.MustRun(t, "run", "-p", pub, e.Rootfs, "true")
		noSlirpLeft(t, e)
	})
	t.Run("urun SIGKILLed", func(t *testing.T) {
		r := startRun(t, e, "run", "-p", pub, e.Rootfs, "sh", "-c", "echo ready; exec sleep 1000")
		slirpOf(t, r.cmd.Process.Pid)
		_ = r.cmd.Process.Kill()
		<-r.done
		noSlirpLeft(t, e)
		e.CheckClean(t)
	})
	t.Run("command killed", func(t *testing.T) {
		r := startRun(t, e, "run", "-p", pub, e.Rootfs, "sh", "-c", "echo ready; exec sleep 1000")
		// urun's children are the container's PID 1 and slirp4netns.
		pid1 := 0
		for _, c := range children(r.cmd.Process.Pid) {
			if comm(c) != "slirp4netns" {
				pid1 = c
			}
		}
		if pid1 == 0 {
			t.Fatalf("no container process among urun's children %v", children(r.cmd.Process.Pid))
		}
		if err := syscall.Kill(pid1, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-r.done
		if r.status != 137 {
			t.Errorf("status %d, want 137", r.status)
		}
		noSlirpLeft(t, e)
	})
}

func TestSlirpDiesMidRun(t *testing.T) {
	e := netUser(t)
	r := startRun(t, e, "run", e.Rootfs, "sh", "-c", "echo ready; exec sleep 1000")
	spid := slirpOf(t, r.cmd.Process.Pid)
	if err := syscall.Kill(spid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-r.stderr:
		if !strings.Contains(l, "slirp4netns") || !strings.Contains(l, "exited unexpectedly") {
			t.Errorf("stderr %q, want the report of slirp4netns's death", l)
		}
	case <-time.After(30 * time.Second):
		t.Error("urun did not report slirp4netns's death")
	}
	if s := r.stop(); s != 143 {
		t.Errorf("status %d after SIGTERM, want 143", s)
	}
	if !errors.Is(syscall.Kill(spid, 0), syscall.ESRCH) {
		t.Errorf("slirp4netns %d was not reaped", spid)
	}
	noSlirpLeft(t, e)
}

// TestSlirpWithoutPath: with PATH unset, slirp4netns is still found where the
// package puts it, so the default network does not silently become none.
func TestSlirpWithoutPath(t *testing.T) {
	e := user(t)
	if _, err := os.Stat("/usr/bin/slirp4netns"); err != nil {
		t.Skip("SKIP: /usr/bin/slirp4netns missing (apt-get install slirp4netns)")
	}
	cmd := e.Command(e.Rootfs, "/bin/cat", "/proc/net/dev")
	cmd.Env = []string{}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if !strings.Contains(string(out), "tap0") || strings.Contains(stderr.String(), "not installed") {
		t.Fatalf("PATH unset: want tap0 from slirp4netns and no notice, got %q, stderr %q", out, stderr.String())
	}
}
