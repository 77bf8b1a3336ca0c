package integration

// config.json fidelity where the runtime-tools suite says little: devices
// of a rootless container (bind-mounted from the host), namespaces joined by
// path the way a rootless engine passes them (urun as root of the engine's
// user namespace), mounts in the order the config gives them, and the
// process fields of the init stage (umask, oomScoreAdj, rlimits refused by
// name).

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestOCIDeviceIsBoundFromTheHostRootless(t *testing.T) {
	e := user(t)
	const dev = "/dev/net/tun"
	if _, err := os.Stat(dev); err != nil {
		t.Skipf("SKIP: the host has no %s to bind: %v", dev, err)
	}
	bundle, _, s := ociSetup(t, e, "/bin/sh", "-c", "ls -l "+dev)
	mode := os.FileMode(0o666)
	zero := uint32(0)
	s.Linux.Devices = []specs.LinuxDevice{{Path: dev, Type: "c", Major: 10, Minor: 200, FileMode: &mode, UID: &zero, GID: &zero}}
	ociBundle(t, e, bundle, s)
	r := e.Run(t, "", "run", "--bundle", bundle, "devbind")
	// A user namespace cannot mknod: the node is the host's, so its
	// numbers are the host's own.
	if r.Status != 0 || !strings.Contains(r.Stdout, "10,") || !strings.Contains(r.Stdout, "200") || !strings.HasPrefix(r.Stdout, "c") {
		t.Errorf("run --bundle with device %s: status %d, stdout %q, stderr %q; want the character device 10, 200", dev, r.Status, r.Stdout, r.Stderr)
	}
	ociGone(t, e, "devbind")
}

func TestOCIDeviceMissingOnTheHostIsOneLine(t *testing.T) {
	e := user(t)
	bundle, _, s := ociSetup(t, e, "/bin/true")
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/urun-no-such", Type: "c", Major: 10, Minor: 666}}
	ociBundle(t, e, bundle, s)
	r := e.Run(t, "", "run", "--bundle", bundle, "devmissing")
	if r.Status == 0 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, "/dev/urun-no-such") {
		t.Errorf("a device the host lacks, rootless: status %d, stderr %q; want one line naming it", r.Status, r.Stderr)
	}
	ociGone(t, e, "devmissing")
}

// A rootless engine (podman) runs its runtime as root of its own user
// namespace and passes the network namespace it made there by path, with
// no user namespace in the config: `urun unshare` is that engine here.
func TestOCIJoinsANetworkNamespaceByPathAsAnEngineDoes(t *testing.T) {
	e := user(t)
	dir := e.TempDir(t)
	out := filepath.Join(dir, "out")
	e.Sh(t, "mkdir "+out)
	s := ociSpec(t, e, out, "/bin/sh", "-c", "readlink /proc/self/ns/net > /out/ns; hostname > /out/host")
	s.Linux.UIDMappings, s.Linux.GIDMappings = nil, nil
	s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.MountNamespace},
		{Type: specs.UTSNamespace}, {Type: specs.IPCNamespace}, {Type: specs.NetworkNamespace, Path: "NSPATH"}}
	bundle := ociBundle(t, e, dir, s)
	store := filepath.Join(dir, "store")
	e.Sh(t, "mkdir -m 700 "+store)
	// In the engine's user namespace: a network namespace held by a
	// sleep, its path written into the config, then the container.
	script := `set -e
unshare --net sleep 1000 & holder=$!
while [ "$(readlink /proc/$holder/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.01; done
readlink /proc/$holder/ns/net > ` + out + `/want
sed -i "s|NSPATH|/proc/$holder/ns/net|" ` + bundle + `/config.json
st=0; "$URUN" --root ` + store + ` run --bundle ` + bundle + ` joined || st=$?
kill $holder
exit $st`
	r := e.Run(t, "", "unshare", "sh", "-c", strings.ReplaceAll(script, `"$URUN"`, e.Bin))
	if r.Status != 0 {
		t.Fatalf("run --bundle joining a network namespace, in an engine's user namespace: status %d, stderr %q", r.Status, r.Stderr)
	}
	want, _ := os.ReadFile(filepath.Join(out, "want"))
	got, _ := os.ReadFile(filepath.Join(out, "ns"))
	if len(want) == 0 || string(got) != string(want) {
		t.Errorf("the container's network namespace is %q, want the joined %q", got, want)
	}
	if h, _ := os.ReadFile(filepath.Join(out, "host")); string(h) != "oci\n" {
		t.Errorf("hostname in the container's new UTS namespace: %q, want oci", h)
	}
}

func TestOCIMountsAreMadeInTheirOrder(t *testing.T) {
	e := user(t)
	bundle, out, s := ociSetup(t, e, "/bin/sh", "-c", "cat /a/b/marker > /out/seen; ls /c > /out/c; grep -o ' /[abc][^ ]* ' /proc/self/mountinfo > /out/order")
	src := filepath.Join(filepath.Dir(out), "src")
	e.Sh(t, "mkdir "+src+" && echo from-src > "+src+"/marker")
	// /a/b exists only in the tmpfs on /a, so the bind works only after it;
	// the tmpfs on /c comes after a bind on /c and must hide it.
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/a", Type: "tmpfs", Source: "tmpfs", Options: []string{"mode=755"}},
		specs.Mount{Destination: "/a/b", Type: "bind", Source: src, Options: []string{"bind", "ro"}},
		specs.Mount{Destination: "/c", Type: "bind", Source: src, Options: []string{"rbind"}},
		specs.Mount{Destination: "/c", Type: "tmpfs", Source: "tmpfs"},
	)
	ociBundle(t, e, bundle, s)
	r := e.Run(t, "", "run", "--bundle", bundle, "order")
	if r.Status != 0 {
		t.Fatalf("run --bundle: status %d, stderr %q", r.Status, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "seen")); string(b) != "from-src\n" {
		t.Errorf("/a/b/marker = %q: the bind on /a/b was not made after the tmpfs on /a", b)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "c")); len(b) != 0 {
		t.Errorf("/c holds %q: the later tmpfs on /c does not hide the earlier bind", b)
	}
	b, _ := os.ReadFile(filepath.Join(out, "order"))
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "/a /a/b /c /c" {
		t.Errorf("mount order in mountinfo: %q, want /a /a/b /c /c", got)
	}
	ociGone(t, e, "order")
}

func TestOCIProcessUmaskAndOOMScore(t *testing.T) {
	e := user(t)
	bundle, out, s := ociSetup(t, e, "/bin/sh", "-c", "umask > /out/umask; cat /proc/self/oom_score_adj > /out/oom")
	umask := uint32(0o027)
	oom := 500
	s.Process.User.Umask = &umask
	s.Process.OOMScoreAdj = &oom
	ociBundle(t, e, bundle, s)
	if r := e.Run(t, "", "run", "--bundle", bundle, "proc"); r.Status != 0 {
		t.Fatalf("run --bundle: status %d, stderr %q", r.Status, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "umask")); strings.TrimSpace(string(b)) != "0027" {
		t.Errorf("umask in the container: %q, want 0027", b)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "oom")); strings.TrimSpace(string(b)) != "500" {
		t.Errorf("oom_score_adj in the container: %q, want 500", b)
	}
	ociGone(t, e, "proc")
}

func TestOCIUnknownRlimitIsRefusedAtCreate(t *testing.T) {
	e := user(t)
	bundle, out, s := ociSetup(t, e, "/bin/sh", "-c", "touch /out/ran")
	s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_TEST", Soft: 1, Hard: 1}}
	ociBundle(t, e, bundle, s)
	r := e.Run(t, "", "create", "--bundle", bundle, "badrlimit")
	if r.Status == 0 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, "RLIMIT_TEST") {
		t.Errorf("create with RLIMIT_TEST: status %d, stderr %q; want one line naming it", r.Status, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "ran")); err == nil {
		t.Error("the command ran")
	}
	ociGone(t, e, "badrlimit")
}
