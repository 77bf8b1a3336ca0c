package integration

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urun-dev/urun/internal/testutil"
)

// debianCache keeps the mmdebstrap tarball between runs, one per day, so CI
// does not build it every time; an empty cache builds it (about a minute).
const debianCache = "/var/cache/urun-test"

// debianMirror is the first URIs: of the machine's Debian sources.
func debianMirror() string {
	f, err := os.Open("/etc/apt/sources.list.d/debian.sources")
	if err != nil {
		return "http://deb.debian.org/debian"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "URIs:"); ok {
			return strings.Fields(u)[0]
		}
	}
	return "http://deb.debian.org/debian"
}

// debianTarball returns today's cached `mmdebstrap --mode=unshare
// --variant=apt --include=iputils-ping bookworm` tarball, made as the test
// user (unshare mode needs no root), or skips when the mirror cannot be
// reached.
func debianTarball(t *testing.T, e *testutil.Env) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root to keep the Debian tarball in " + debianCache)
	}
	name := filepath.Join(debianCache, "debian-bookworm-apt-"+time.Now().UTC().Format("20060102")+".tar")
	if _, err := os.Stat(name); err == nil {
		return name
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skip("SKIP: mmdebstrap missing (apt-get install mmdebstrap)")
	}
	mirror := debianMirror()
	c := http.Client{Timeout: 15 * time.Second}
	resp, err := c.Get(strings.TrimSuffix(mirror, "/") + "/dists/bookworm/InRelease")
	if err != nil {
		t.Skipf("SKIP: the Debian mirror %s cannot be reached: %v", mirror, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Skipf("SKIP: the Debian mirror %s answers %s", mirror, resp.Status)
	}
	if err := os.MkdirAll(debianCache, 0o755); err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp("", "urun-it-mmdebstrap-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	// mmdebstrap's namespace root is the user's first subordinate id: it
	// must pass through the directory.
	os.Chmod(work, 0o755)
	os.Chown(work, e.UID, e.GID)
	out := filepath.Join(work, "debian.tar")
	cmd := exec.Command("mmdebstrap", "--mode=unshare", "--variant=apt", "--include=iputils-ping", "bookworm", out, mirror)
	cmd.Dir = work
	cmd.Env = []string{"HOME=" + e.Home, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
	cmd.SysProcAttr = credential(e)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mmdebstrap --mode=unshare as %s: %v\n%s", e.User, err, b)
	}
	// Yesterday's tarballs go; today's is put in place by rename.
	old, _ := filepath.Glob(filepath.Join(debianCache, "debian-bookworm-apt-*.tar"))
	for _, o := range old {
		os.Remove(o)
	}
	tmp := name + ".tmp"
	if b, err := exec.Command("cp", out, tmp).CombinedOutput(); err != nil {
		t.Fatalf("caching the tarball: %v %s", err, b)
	}
	os.Chown(tmp, 0, 0)
	os.Chmod(tmp, 0o644)
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// The README's Debian recipe: mmdebstrap's tarball, urun import, and a tree
// in which apt, ping (through its file capability) and su work.
func TestImportDebianFromMmdebstrap(t *testing.T) {
	e := netUser(t)
	tarball := debianTarball(t, e)
	dir := filepath.Join(e.TempDir(t), "debian")
	r := e.Run(t, "", "import", tarball, dir)
	if r.Status != 0 {
		t.Fatalf("import: status %d: %s", r.Status, r.Stderr)
	}
	if cap, err := exec.Command("getcap", filepath.Join(dir, "usr/bin/ping")).Output(); err != nil || !strings.Contains(string(cap), "cap_net_raw") {
		t.Errorf("usr/bin/ping lost its file capability: %q %v", cap, err)
	}
	// Debian's ping carries cap_net_raw+ep: the kernel refuses to exec it
	// (EPERM) where NET_RAW is not in the bounding set, as in podman's
	// default set; as nobody it pings only through that file capability.
	script := `apt-get --version | head -1 && ping -c1 10.0.2.2 >/dev/null && echo ping ok && su nobody -s /bin/sh -c id && su nobody -s /bin/sh -c 'ping -c1 10.0.2.2 >/dev/null && echo nobody ping ok'`
	r = e.Run(t, "", "run", "--cap-add", "NET_RAW", dir, "sh", "-c", script)
	want := "ping ok\nuid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\nnobody ping ok\n"
	if r.Status != 0 || !strings.HasPrefix(r.Stdout, "apt ") || !strings.HasSuffix(r.Stdout, want) {
		t.Errorf("status %d, stdout %q, stderr %q; want apt's version, then:\n%s", r.Status, r.Stdout, r.Stderr, want)
	}
}

// credential makes a host command run as the test user when the tests run
// as root.
func credential(e *testutil.Env) *syscall.SysProcAttr {
	if os.Getuid() != 0 {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(e.UID), Gid: uint32(e.GID), Groups: []uint32{}}}
}
