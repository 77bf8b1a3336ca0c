package mount

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The mount points are made without any privilege: these tests check that
// they land inside the root whatever the root's symlinks say (a dangling
// link is followed as if the root were /).

func testRoot(t *testing.T) (string, *os.File, string) {
	t.Helper()
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	for _, d := range []string{root, outside, root + "/etc"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return root, f, outside
}

func where(t *testing.T, h *os.File) string {
	t.Helper()
	p, err := os.Readlink("/proc/self/fd/" + itoa(int(h.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestEnsureTargetStaysInside(t *testing.T) {
	root, rf, outside := testRoot(t)
	links := map[string]string{
		"/etc/hosts":       outside + "/hosts",            // absolute, dangling inside
		"/etc/resolv.conf": "../../../../../../../../x/r", // relative, climbing out
		"/data":            outside,                       // a directory outside
		"/proc":            "/proc/self/cwd",              // through /proc
	}
	for dst, l := range links {
		if err := os.Symlink(l, root+dst); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		dest string
		dir  bool
		want string // where the handle must be, below root; "" refused
	}{
		{"/etc/hosts", false, outside + "/hosts"},
		{"/etc/resolv.conf", false, "/x/r"},
		{"/new/dir", true, "/new/dir"},
		{"/new/file", false, "/new/file"},
		{"/data", true, outside},
		{"/data/sub", false, outside + "/sub"},
		{"/etc/hosts/x", true, ""},
		{"/proc/x", true, ""},
	} {
		h, err := ensureTarget(rf, c.dest, c.dir)
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: made %s, want refused", c.dest, where(t, h))
				h.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.dest, err)
			continue
		}
		if got := where(t, h); got != root+c.want {
			t.Errorf("%s: handle at %s, want %s", c.dest, got, root+c.want)
		}
		h.Close()
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 0 {
		t.Errorf("something was made outside the root: %v", ents)
	}
}

func TestEnsureTargetKinds(t *testing.T) {
	root, rf, _ := testRoot(t)
	if err := os.WriteFile(root+"/etc/file", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ensureTarget(rf, "/etc/file", true); err == nil || !strings.Contains(err.Error(), "it is a file") {
		t.Errorf("directory onto a file: %v", err)
	}
	if _, err := ensureTarget(rf, "/etc", false); err == nil || !strings.Contains(err.Error(), "it is a directory") {
		t.Errorf("file onto a directory: %v", err)
	}
}

func TestNoSymlinkRefusesKernelDirs(t *testing.T) {
	root, rf, outside := testRoot(t)
	if err := os.Symlink(outside, root+"/dev"); err != nil {
		t.Fatal(err)
	}
	if err := noSymlink(rf, "/dev"); err == nil || !strings.Contains(err.Error(), "/dev is a symlink") {
		t.Errorf("symlinked /dev: %v", err)
	}
	if err := noSymlink(rf, "/dev/pts"); err != nil {
		t.Errorf("/dev/pts is resolved, not refused: %v", err)
	}
	if err := noSymlink(rf, "/etc"); err != nil {
		t.Errorf("/etc: %v", err)
	}
}

func TestEscapeLower(t *testing.T) {
	if got := escapeLower(`/a:b,c\d`); got != `/a\:b\,c\\d` {
		t.Errorf("escapeLower = %q", got)
	}
}
