package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urun-dev/urun/internal/testutil"
	"golang.org/x/sys/unix"
)

var importMtime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// rootfsTarball makes, as root, a gzipped rootfs tarball the way a distro
// tool does (GNU tar --xattrs --numeric-owner): the busybox rootfs owned by
// root, a home of uid 1000, a setuid file, a file capability (setcap), a
// hard link, a symlink, a FIFO, a device node, a user xattr and old mtimes.
func rootfsTarball(t *testing.T, e *testutil.Env) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("SKIP: making the test tarball needs root (owners, a device node, a file capability)")
	}
	if _, err := exec.LookPath("setcap"); err != nil {
		t.Skip("SKIP: setcap missing (apt-get install libcap2-bin)")
	}
	// Not t.TempDir: its parent is closed to the test user.
	dir, err := os.MkdirTemp("", "urun-it-tarball-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	src := filepath.Join(dir, "src")
	stamp := importMtime.Format("2006-01-02 15:04:05 UTC")
	script := `set -e
cp -a ` + e.Rootfs + ` ` + src + ` && cd ` + src + ` && chown -R 0:0 .
mkdir -p home/u run dev && echo hello >home/u/file && chown -R 1000:1000 home/u
echo '#!/bin/sh' >bin/suid && chmod 4755 bin/suid && ln bin/suid bin/suid-link
ln -s ../etc/passwd bin/pwlink && mkfifo run/fifo && mknod dev/mynull c 1 3
mkdir cap && cp /bin/busybox cap/ping && setcap cap_net_raw+ep cap/ping
touch -h -d '` + stamp + `' home/u/file home/u bin/pwlink run/fifo`
	if out, err := exec.Command("/bin/sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("making the tree: %v\n%s", err, out)
	}
	if err := unix.Setxattr(filepath.Join(src, "home/u/file"), "user.urun", []byte("kept"), 0); err != nil {
		t.Skipf("SKIP: no user xattrs on %s: %v", dir, err)
	}
	// Its own mtime after the xattr (which changes only the ctime).
	tarball := filepath.Join(dir, "rootfs.tar.gz")
	if out, err := exec.Command("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", src, "-czf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	os.Chmod(tarball, 0o644)
	return tarball
}

func TestImportRootfsTarball(t *testing.T) {
	e := user(t)
	sub := subuidStart(t, e)
	tarball := rootfsTarball(t, e)
	out := filepath.Join(e.TempDir(t), "rootfs")
	r := e.Run(t, "", "import", tarball, out)
	if r.Status != 0 {
		t.Fatalf("import: status %d: %s", r.Status, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "1 device nodes skipped") || strings.Count(r.Stdout, "\n") != 1 {
		t.Errorf("summary %q: want one line counting the skipped device node", r.Stdout)
	}
	// From the host: owners are the user and its subordinate ids.
	for p, want := range map[string]int{"etc/passwd": e.UID, "bin/suid": e.UID, "home/u": sub + 999, "home/u/file": sub + 999} {
		if u := owner(t, filepath.Join(out, p)); u != want {
			t.Errorf("%s belongs to %d on the host, want %d", p, u, want)
		}
	}
	fi, err := os.Lstat(filepath.Join(out, "bin/suid"))
	if err != nil || fi.Mode() != os.ModeSetuid|0o755 {
		t.Errorf("bin/suid: %v %v; want -rwsr-xr-x", fi, err)
	}
	if fi2, err := os.Lstat(filepath.Join(out, "bin/suid-link")); err != nil || !os.SameFile(fi, fi2) {
		t.Errorf("bin/suid-link is not a hard link of bin/suid: %v", err)
	}
	if l, err := os.Readlink(filepath.Join(out, "bin/pwlink")); l != "../etc/passwd" {
		t.Errorf("bin/pwlink -> %q, %v", l, err)
	}
	if fi, err := os.Lstat(filepath.Join(out, "run/fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("run/fifo: %v %v; want a FIFO", fi, err)
	}
	if _, err := os.Lstat(filepath.Join(out, "dev/mynull")); err == nil {
		t.Errorf("the device node was made")
	}
	buf := make([]byte, 16)
	if n, err := unix.Lgetxattr(filepath.Join(out, "home/u/file"), "user.urun", buf); err != nil || string(buf[:n]) != "kept" {
		t.Errorf("user.urun xattr: %q %v", buf[:max(n, 0)], err)
	}
	for _, p := range []string{"home/u", "home/u/file", "bin/pwlink", "run/fifo"} {
		if fi, err := os.Lstat(filepath.Join(out, p)); err != nil || !fi.ModTime().Equal(importMtime) {
			t.Errorf("%s: mtime %v, want %v (%v)", p, fi.ModTime(), importMtime, err)
		}
	}
	if cap, err := exec.Command("getcap", filepath.Join(out, "cap/ping")).Output(); err != nil || !strings.Contains(string(cap), "cap_net_raw") {
		t.Errorf("cap/ping lost its file capability: %q %v", cap, err)
	}
	// From inside: the tarball's own owners and modes, and it runs.
	got := e.MustRun(t, "run", "--network", "none", out, "stat", "-c", "%n %u:%g %a", "/etc/passwd", "/home/u/file", "/bin/suid")
	want := "/etc/passwd 0:0 644\n/home/u/file 1000:1000 644\n/bin/suid 0:0 4755\n"
	if got != want {
		t.Errorf("inside:\n%s\nwant:\n%s", got, want)
	}
	// The file capability works inside: as nobody (no capabilities of its
	// own) busybox ping opens a raw socket only through it; --cap-add
	// keeps NET_RAW in the bounding set that file capabilities obey.
	r = e.Run(t, "", "run", "--network", "none", "--cap-add", "NET_RAW", out, "su", "nobody", "-s", "/bin/sh", "-c", "/cap/ping -c1 127.0.0.1 && /bin/ping -c1 127.0.0.1; echo status $?")
	if !strings.Contains(r.Stdout, "1 packets received") || strings.Contains(r.Stdout, "status 0") {
		t.Errorf("ping as nobody: %q %q; want the capable copy to work and the plain one to fail", r.Stdout, r.Stderr)
	}
}

func TestImportFromStdinAndForce(t *testing.T) {
	e := user(t)
	data := tarOf(t, e, tarEnt{name: "etc/", dir: true}, tarEnt{name: "etc/hostname", body: "box\n"})
	dir := filepath.Join(e.TempDir(t), "rootfs")
	if r := e.Run(t, string(data), "import", "-", dir); r.Status != 0 {
		t.Fatalf("import -: status %d: %s", r.Status, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "etc/hostname")); string(b) != "box\n" {
		t.Errorf("etc/hostname: %q", b)
	}
	r := e.Run(t, string(data), "import", "-", dir)
	if r.Status != 125 || !strings.Contains(r.Stderr, "--force") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("into a non-empty dir: status %d, stderr %q; want 125 and one line naming --force", r.Status, r.Stderr)
	}
	if r := e.Run(t, string(data), "import", "--force", "-", dir); r.Status != 0 {
		t.Errorf("--force: status %d: %s", r.Status, r.Stderr)
	}
}

// tarEnt is an entry of a tarball made in the test.
type tarEnt struct {
	name, link, body string
	typ              byte
	dir              bool
}

func tarOf(t *testing.T, e *testutil.Env, ents ...tarEnt) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, x := range ents {
		h := &tar.Header{Name: x.name, Linkname: x.link, Typeflag: x.typ, Mode: 0o644, Size: int64(len(x.body)), ModTime: importMtime}
		if x.dir {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(x.body))
	}
	tw.Close()
	return b.Bytes()
}

// The classic tar escapes, a corrupt and a truncated tarball: one line,
// status 125, DIR gone, nothing written outside it.
func TestImportRefusesBadTarballs(t *testing.T) {
	e := user(t)
	base := e.TempDir(t)
	decoy := filepath.Join(base, "decoy")
	e.Sh(t, "mkdir "+decoy+" && echo keep >"+decoy+"/secret")
	good := tarOf(t, e, tarEnt{name: "etc/", dir: true}, tarEnt{name: "etc/big", body: strings.Repeat("0123456789", 100000)})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good)
	zw.Close()
	cases := map[string][]byte{
		"dotdot":            tarOf(t, e, tarEnt{name: "../decoy/evil", body: "x"}),
		"absolute":          tarOf(t, e, tarEnt{name: decoy + "/evil", body: "x"}),
		"through a symlink": tarOf(t, e, tarEnt{name: "l", typ: tar.TypeSymlink, link: "../decoy"}, tarEnt{name: "l/evil", body: "x"}),
		"absolute symlink":  tarOf(t, e, tarEnt{name: "l", typ: tar.TypeSymlink, link: decoy}, tarEnt{name: "l/evil", body: "x"}),
		"hard link out":     tarOf(t, e, tarEnt{name: "h", typ: tar.TypeLink, link: "../decoy/secret"}),
		"corrupt":           bytes.Repeat([]byte("this is not a tarball\n"), 100),
		"truncated":         good[:len(good)/2],
		"truncated gzip":    gz.Bytes()[:gz.Len()/2],
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			before := testutil.Tree(t, decoy)
			tarball := filepath.Join(base, "bad.tar")
			if err := os.WriteFile(tarball, data, 0o644); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(base, "rootfs")
			r := e.Run(t, "", "import", tarball, dir)
			if r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("status %d, stderr %q; want 125 and one line", r.Status, r.Stderr)
			}
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				t.Errorf("%s is left: %v", dir, err)
			}
			if after := testutil.Tree(t, decoy); after != before {
				t.Errorf("written outside DIR:\n%s\n%s", before, after)
			}
			if _, err := os.Lstat(filepath.Join(base, "evil")); err == nil {
				t.Errorf("%s/evil was written", base)
			}
		})
	}
}

// A rootfs made by root (sudo debootstrap) is refused with the fixes, not
// with the first mount error.
func TestRootOwnedRootfsSaysHowToFix(t *testing.T) {
	e := user(t)
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root to make a root-owned rootfs")
	}
	root := copyRootfs(t, e)
	if out, err := exec.Command("chown", "-R", "0:0", root).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	r := e.Run(t, "", "run", "--network", "none", root, "true")
	if r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "belongs to root") ||
		!strings.Contains(r.Stderr, "urun import") || !strings.Contains(r.Stderr, "chown") {
		t.Errorf("status %d, stderr %q; want 125 and one line naming the owner, urun import and chown", r.Status, r.Stderr)
	}
}

// Ctrl-C in the middle of an import leaves no DIR.
func TestImportInterruptedLeavesNothing(t *testing.T) {
	e := user(t)
	data := tarOf(t, e, tarEnt{name: "etc/", dir: true}, tarEnt{name: "etc/a", body: "a"}, tarEnt{name: "etc/big", body: strings.Repeat("x", 1<<20)})
	dir := filepath.Join(e.TempDir(t), "rootfs")
	cmd := e.Command("import", "-", dir)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Half the tarball, and the pipe stays open: the import waits for more.
	in.Write(data[:len(data)/2])
	for i := 0; ; i++ {
		if _, err := os.Lstat(filepath.Join(dir, "etc/a")); err == nil {
			break
		}
		if i == 600 {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the import never wrote etc/a: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	in.Close()
	if s := status(err); s != 125 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("status %d, stderr %q; want 125 and one line saying it was interrupted", s, stderr.String())
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is left after Ctrl-C: %v", dir, err)
	}
}
