package integration

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/urun-dev/urun/internal/testutil"
)

// statusField reads one field of /proc/self/status output.
func statusField(t *testing.T, status, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + key + `:\s*(\S+)`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("no %s in /proc/self/status:\n%s", key, status)
	}
	return m[1]
}

func capBit(t *testing.T, hex string, bit uint) bool {
	v, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v&(1<<bit) != 0
}

const capNetRaw = 13

func TestCapDropAllLeavesNothing(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, "run", "--cap-drop", "ALL", e.Rootfs, "cat", "/proc/self/status")
	for _, k := range []string{"CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"} {
		if v := statusField(t, out, k); v != "0000000000000000" {
			t.Errorf("--cap-drop ALL: %s = %s, want 0", k, v)
		}
	}
	// And the command really lacks them: chown of a file needs CAP_CHOWN
	// once it is not root's own.
	r := e.Run(t, "", "run", "--cap-drop", "all", e.Rootfs, "chown", "65534", "/tmp")
	if r.Status == 0 {
		t.Error("chown worked with --cap-drop ALL")
	}
}

func TestCapAddNetRaw(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, "run", e.Rootfs, "cat", "/proc/self/status")
	if capBit(t, statusField(t, out, "CapEff"), capNetRaw) {
		t.Fatal("NET_RAW is in the default set; podman's rootless default lacks it")
	}
	out = e.MustRun(t, "run", "--cap-add", "NET_RAW", e.Rootfs, "cat", "/proc/self/status")
	if !capBit(t, statusField(t, out, "CapEff"), capNetRaw) || !capBit(t, statusField(t, out, "CapBnd"), capNetRaw) {
		t.Errorf("--cap-add NET_RAW: CapEff %s CapBnd %s", statusField(t, out, "CapEff"), statusField(t, out, "CapBnd"))
	}
	// A non-root user gets no capability but the added one, as ambient.
	out = e.MustRun(t, "run", "-u", "1000", "--cap-add", "cap_net_raw", e.Rootfs, "cat", "/proc/self/status")
	if eff := statusField(t, out, "CapEff"); eff != fmt.Sprintf("%016x", 1<<capNetRaw) || statusField(t, out, "CapAmb") != eff {
		t.Errorf("-u 1000 --cap-add NET_RAW: CapEff %s CapAmb %s, want only NET_RAW in both", eff, statusField(t, out, "CapAmb"))
	}
	out = e.MustRun(t, "run", "-u", "1000", e.Rootfs, "cat", "/proc/self/status")
	if v := statusField(t, out, "CapEff"); v != "0000000000000000" {
		t.Errorf("-u 1000: CapEff %s, want 0", v)
	}
}

func TestPrivilegedHasEveryCapabilityAndNoMasks(t *testing.T) {
	e := user(t)
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		t.Skipf("SKIP: %v", err)
	}
	last, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if last > 40 {
		last = 40 // the last capability urun knows
	}
	out := e.MustRun(t, "run", "--privileged", e.Rootfs, "sh", "-c", `cat /proc/self/status; echo MOUNTS; cat /proc/self/mountinfo`)
	status, mounts, _ := strings.Cut(out, "MOUNTS\n")
	if v, want := statusField(t, status, "CapEff"), fmt.Sprintf("%016x", uint64(1)<<(last+1)-1); v != want {
		t.Errorf("--privileged: CapEff %s, want %s", v, want)
	}
	for _, l := range strings.Split(mounts, "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], "/proc/") {
			t.Errorf("--privileged still masks or protects %s", f[4])
		}
	}
	// Without it /proc/sys is read-only and /proc/timer_list masked.
	out = e.MustRun(t, "run", e.Rootfs, "cat", "/proc/self/mountinfo")
	if !strings.Contains(out, " /proc/sys ") {
		t.Errorf("the default run has no read-only /proc/sys:\n%s", out)
	}
}

func TestNoNewPrivilegesFlag(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, "run", e.Rootfs, "cat", "/proc/self/status")
	if v := statusField(t, out, "NoNewPrivs"); v != "0" {
		t.Errorf("default NoNewPrivs %s, want 0 (podman's default)", v)
	}
	out = e.MustRun(t, "run", "--security-opt", "no-new-privileges", e.Rootfs, "cat", "/proc/self/status")
	if v := statusField(t, out, "NoNewPrivs"); v != "1" {
		t.Errorf("--security-opt no-new-privileges: NoNewPrivs %s, want 1", v)
	}
}

// sudoRootfs installs the host's sudo (setuid root inside), its libraries
// and plugins, real PAM with pam_permit, and a NOPASSWD sudoers entry for
// alice into a copy of the rootfs.
func sudoRootfs(t *testing.T) (*testutil.Env, string) {
	e := user(t)
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root to install a setuid sudo into the test rootfs")
	}
	sudo, err := exec.LookPath("sudo")
	if err != nil {
		t.Skip("SKIP: sudo is not installed on the host (apt-get install sudo)")
	}
	root := usersRootfs(t, e)
	plugins := []string{sudo, "/usr/libexec/sudo/sudoers.so", "/usr/libexec/sudo/libsudo_util.so.0"}
	pamDirs := []string{"/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security"}
	for _, d := range pamDirs {
		if _, err := os.Stat(d + "/pam_permit.so"); err == nil {
			plugins = append(plugins, d+"/pam_permit.so")
			break
		}
	}
	for _, p := range plugins {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("SKIP: %s missing: %v", p, err)
		}
	}
	installHostProgram(t, e, root, plugins...)
	// setuid root inside: owned by container root, which is the user.
	if err := os.Chmod(root+sudo, os.ModeSetuid|0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string, mode os.FileMode) {
		if err := os.MkdirAll(root+"/"+dirOf(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(root+name, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(root+name, mode)
		chownToUser(e, root+name, root+"/"+dirOf(name))
	}
	write("/etc/sudoers", "Defaults !syslog, !lecture\nroot ALL=(ALL:ALL) ALL\nalice ALL=(ALL:ALL) NOPASSWD: ALL\n", 0o440)
	write("/etc/pam.d/sudo", "auth sufficient pam_permit.so\naccount sufficient pam_permit.so\nsession sufficient pam_permit.so\n", 0o644)
	write("/etc/sudo.conf", "Set disable_coredump false\n", 0o644)
	return e, root
}

func dirOf(p string) string {
	i := strings.LastIndex(p, "/")
	return strings.TrimPrefix(p[:i], "/")
}

func TestSudoWorksUnlessNoNewPrivileges(t *testing.T) {
	e, root := sudoRootfs(t)
	r := e.Run(t, "", "run", "-u", "alice", root, "sh", "-c", "sudo -n id -u")
	if r.Status != 0 || strings.TrimSpace(r.Stdout) != "0" {
		t.Fatalf("sudo -n id -u as alice: status %d, stdout %q, stderr %q; want 0 and uid 0", r.Status, r.Stdout, r.Stderr)
	}
	r = e.Run(t, "", "run", "-u", "alice", "--security-opt", "no-new-privileges", root, "sudo", "-n", "true")
	if r.Status == 0 {
		t.Errorf("sudo -n true worked with no-new-privileges: %q", r.Stderr)
	}
	t.Logf("with no-new-privileges sudo says: %s", strings.TrimSpace(r.Stderr))
}

func TestPingWithoutNetRaw(t *testing.T) {
	e := netUser(t)
	ping, err := exec.LookPath("ping")
	if err != nil {
		t.Skip("SKIP: no iputils ping on the host (apt-get install iputils-ping); busybox's ping only uses raw sockets")
	}
	root := copyRootfs(t, e)
	// Installed without its file capability: it must use an ICMP datagram
	// socket, which ping_group_range=0 0 allows for the container's root.
	installHostProgram(t, e, root, ping)
	out := e.MustRun(t, "run", root, "sh", "-c", "cat /proc/sys/net/ipv4/ping_group_range; grep CapEff /proc/self/status; "+ping+" -c1 -W5 10.0.2.2")
	if !strings.Contains(out, "1 received") {
		t.Errorf("ping -c1 10.0.2.2: %s", out)
	}
	if f := strings.Fields(out); len(f) < 2 || f[0] != "0" || f[1] != "0" {
		t.Errorf("ping_group_range %q, want podman's 0 0", out)
	}
}

func TestSysctlNamespaced(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, "run", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmni=1234", "--sysctl", "net.ipv4.ping_group_range=0 1000", e.Rootfs,
		"cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni", "/proc/sys/net/ipv4/ping_group_range")
	if got := strings.Fields(out); strings.Join(got, " ") != "1 1234 0 1000" {
		t.Errorf("sysctls inside: %q", out)
	}
	host, _ := os.ReadFile("/proc/sys/kernel/shmmni")
	if strings.TrimSpace(string(host)) == "1234" {
		t.Error("the host's kernel.shmmni changed")
	}
	badInput(t, e, "not namespaced", "run", "--sysctl", "kernel.pid_max=100000", e.Rootfs, "true")
	badInput(t, e, "not namespaced", "run", "--sysctl", "vm.swappiness=1", e.Rootfs, "true")
	badInput(t, e, "network namespace", "run", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", e.Rootfs, "true")
	badInput(t, e, "bad --sysctl", "run", "--sysctl", "net.ipv4.ip_forward", e.Rootfs, "true")
	badInput(t, e, "no such sysctl", "run", "--sysctl", "net.ipv4.no_such_knob=1", e.Rootfs, "true")
}

func TestUlimitNofile(t *testing.T) {
	e := user(t)
	out := e.MustRun(t, "run", "--ulimit", "nofile=100:100", e.Rootfs, "sh", "-c", "ulimit -n; ulimit -Hn")
	if got := strings.Fields(out); strings.Join(got, " ") != "100 100" {
		t.Errorf("--ulimit nofile=100:100: ulimit -n, -Hn = %q", out)
	}
	out = e.MustRun(t, "run", "--ulimit", "nofile=50:200", e.Rootfs, "sh", "-c", "ulimit -n; ulimit -Hn")
	if got := strings.Fields(out); strings.Join(got, " ") != "50 200" {
		t.Errorf("--ulimit nofile=50:200: %q", out)
	}
	badInput(t, e, "bad --ulimit", "run", "--ulimit", "nofile=200:100", e.Rootfs, "true")
	badInput(t, e, "bad --ulimit", "run", "--ulimit", "bogus=1", e.Rootfs, "true")
	badInput(t, e, "bad --ulimit", "run", "--ulimit", "nofile=x", e.Rootfs, "true")
	badInput(t, e, "cannot raise", "run", "--ulimit", "nofile=1:-1", e.Rootfs, "true")
}

func TestSecurityFlagsBadInput(t *testing.T) {
	e := user(t)
	badInput(t, e, "unknown capability", "run", "--cap-add", "NOPE", e.Rootfs, "true")
	badInput(t, e, "unknown capability", "run", "--cap-drop", "CAP_", e.Rootfs, "true")
	badInput(t, e, "both added and dropped", "run", "--cap-add", "NET_RAW", "--cap-drop", "net_raw", e.Rootfs, "true")
	badInput(t, e, "contradict", "run", "--cap-add", "ALL", "--cap-drop", "ALL", e.Rootfs, "true")
}
