package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/urun-dev/urun/userns"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	// UnpackRootless re-executes this test binary as its stage.
	if userns.IsHelper() {
		userns.RunHelper()
	}
	os.Exit(m.Run())
}

var mtime = time.Date(2020, 1, 2, 3, 4, 5, 600, time.UTC)

// ent is one tar entry for a test tarball.
type ent struct {
	name, link, body string
	typ              byte
	mode             int64
	uid, gid         int
	xattrs           map[string]string
}

func mktar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid,
			Size: int64(len(e.body)), ModTime: mtime, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Typeflag == tar.TypeChar {
			h.Devmajor, h.Devminor = 1, 3
		}
		for k, v := range e.xattrs {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords["SCHILY.xattr."+k] = v
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return b.Bytes()
}

// target returns a fresh directory, open, and a decoy beside it whose
// listing must not change.
func target(t testing.TB) (string, *os.File, string) {
	t.Helper()
	base := t.TempDir()
	dir, decoy := filepath.Join(base, "target"), filepath.Join(base, "decoy")
	for _, d := range []string{dir, decoy} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(decoy, "secret"), []byte("keep"), 0o644)
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return dir, f, decoy
}

func listing(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		b.WriteString(p + " " + fi.Mode().String() + "\n")
		return nil
	})
	return b.String()
}

func own() (int, int) { return os.Getuid(), os.Getgid() }

func TestUnpackKeepsWhatATarballHolds(t *testing.T) {
	uid, gid := own()
	dir, f, _ := target(t)
	data := mktar(t,
		ent{name: "./", typ: tar.TypeDir, mode: 0o755, uid: uid, gid: gid},
		ent{name: "./etc/", typ: tar.TypeDir, mode: 0o750, uid: uid, gid: gid},
		ent{name: "./etc/passwd", body: "root:x:0:0::/root:/bin/sh\n", uid: uid, gid: gid},
		ent{name: "./bin/su", body: "#!/bin/sh\n", mode: 0o4755, uid: uid, gid: gid, xattrs: map[string]string{"user.urun": "yes"}},
		ent{name: "./bin/sh", typ: tar.TypeSymlink, link: "busybox", uid: uid, gid: gid},
		ent{name: "./bin/su2", typ: tar.TypeLink, link: "./bin/su", uid: uid, gid: gid},
		ent{name: "./run/fifo", typ: tar.TypeFifo, mode: 0o640, uid: uid, gid: gid},
		ent{name: "./dev/null", typ: tar.TypeChar, mode: 0o666},
		ent{name: "./usr/deep/dir/file", body: "x", uid: uid, gid: gid},
	)
	st, err := Unpack(bytes.NewReader(data), f, Flat)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Files: 3, Dirs: 1, Symlinks: 1, Hardlinks: 1, FIFOs: 1, DevicesSkipped: 1, Bytes: int64(len("root:x:0:0::/root:/bin/sh\n") + len("#!/bin/sh\n") + 1)}
	if os.Getuid() != 0 {
		want.XattrsSkipped = st.XattrsSkipped // user.* needs a file system that has it
	}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	check := func(name string, mode os.FileMode) os.FileInfo {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), mode)
		}
		return fi
	}
	check("etc", os.ModeDir|0o750)
	su := check("bin/su", os.ModeSetuid|0o755)
	check("bin/sh", os.ModeSymlink|0o777)
	su2 := check("bin/su2", os.ModeSetuid|0o755)
	if !os.SameFile(su, su2) {
		t.Errorf("bin/su2 is not a hard link of bin/su")
	}
	check("run/fifo", os.ModeNamedPipe|0o640)
	check("usr/deep", os.ModeDir|0o755)
	if _, err := os.Lstat(filepath.Join(dir, "dev/null")); err == nil {
		t.Errorf("a device node was made")
	}
	for _, n := range []string{".", "etc", "bin/su", "bin/sh", "run/fifo"} {
		fi, _ := os.Lstat(filepath.Join(dir, n))
		if !fi.ModTime().Equal(mtime) {
			t.Errorf("%s: mtime %v, want %v", n, fi.ModTime(), mtime)
		}
	}
	if l, _ := os.Readlink(filepath.Join(dir, "bin/sh")); l != "busybox" {
		t.Errorf("bin/sh -> %q", l)
	}
	if st.XattrsSkipped == 0 {
		buf := make([]byte, 16)
		n, err := unix.Lgetxattr(filepath.Join(dir, "bin/su"), "user.urun", buf)
		if err != nil || string(buf[:n]) != "yes" {
			t.Errorf("xattr user.urun: %q, %v", buf[:max(n, 0)], err)
		}
	}
}

func TestUnpackSetsOwners(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root to give files other owners (UnpackRootless is tested as the user)")
	}
	dir, f, _ := target(t)
	data := mktar(t, ent{name: "a", uid: 12, gid: 34, mode: 0o2755}, ent{name: "l", typ: tar.TypeSymlink, link: "a", uid: 56, gid: 78})
	if _, err := Unpack(bytes.NewReader(data), f, Flat); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[string][2]uint32{"a": {12, 34}, "l": {56, 78}} {
		fi, _ := os.Lstat(filepath.Join(dir, n))
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != want[0] || st.Gid != want[1] {
			t.Errorf("%s: owner %d:%d, want %v", n, st.Uid, st.Gid, want)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "a")); fi.Mode()&os.ModeSetgid == 0 {
		t.Errorf("setgid bit lost after chown: %v", fi.Mode())
	}
}

// The classic tar escapes: each is refused, and nothing outside the target
// changes.
func TestUnpackRefusesEscapes(t *testing.T) {
	uid, gid := own()
	cases := map[string][]ent{
		"dotdot":            {{name: "../decoy/evil", body: "x"}},
		"dotdot inside":     {{name: "a/../../decoy/evil", body: "x"}},
		"absolute":          {{name: "/tmp/evil", body: "x"}},
		"symlink then file": {{name: "l", typ: tar.TypeSymlink, link: "../decoy"}, {name: "l/evil", body: "x"}},
		"abs symlink":       {{name: "l", typ: tar.TypeSymlink, link: "/"}, {name: "l/tmp/evil", body: "x"}},
		"symlink chain":     {{name: "a", typ: tar.TypeSymlink, link: "."}, {name: "b", typ: tar.TypeSymlink, link: "a/.."}, {name: "b/decoy/evil", body: "x"}},
		"hardlink outside":  {{name: "h", typ: tar.TypeLink, link: "../decoy/secret"}},
		"hardlink abs":      {{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}},
		"hardlink via link": {{name: "l", typ: tar.TypeSymlink, link: "../decoy"}, {name: "h", typ: tar.TypeLink, link: "l/secret"}},
		"dir through link":  {{name: "l", typ: tar.TypeSymlink, link: "../decoy"}, {name: "l/sub/", typ: tar.TypeDir, mode: 0o755}},
		"whiteout via link": {{name: "l", typ: tar.TypeSymlink, link: "../decoy"}, {name: "l/.wh.secret"}},
		"whiteout of ..":    {{name: ".wh..."}},
		"whiteout of .":     {{name: "a/", typ: tar.TypeDir, mode: 0o755}, {name: "a/.wh.."}},
	}
	for name, ents := range cases {
		t.Run(name, func(t *testing.T) {
			for i := range ents {
				ents[i].uid, ents[i].gid = uid, gid
			}
			// Overlay mode too: its whiteouts are made, not applied.
			_, fo, decoyO := target(t)
			beforeO := listing(t, decoyO)
			if _, err := Unpack(bytes.NewReader(mktar(t, ents...)), fo, Overlay); err == nil {
				t.Errorf("overlay: unpacked; want a refusal")
			}
			if after := listing(t, decoyO); after != beforeO {
				t.Errorf("overlay: the decoy changed:\n%s\n%s", beforeO, after)
			}
			dir, f, decoy := target(t)
			before := listing(t, decoy)
			_, err := Unpack(bytes.NewReader(mktar(t, ents...)), f, Flat)
			if err == nil {
				t.Fatalf("unpacked; want a refusal")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if after := listing(t, decoy); after != before {
				t.Errorf("the decoy changed:\n%s\n%s", before, after)
			}
			if _, serr := os.Stat("/tmp/evil"); serr == nil && name == "absolute" {
				t.Errorf("/tmp/evil was written")
			}
			_ = dir
		})
	}
}

// A symlink that a later entry replaces with a directory is removed, never
// followed: the files go into the new directory.
func TestUnpackReplacesSymlinkWithDirectory(t *testing.T) {
	uid, gid := own()
	dir, f, decoy := target(t)
	before := listing(t, decoy)
	data := mktar(t,
		ent{name: "x", typ: tar.TypeSymlink, link: "../decoy", uid: uid, gid: gid},
		ent{name: "x/", typ: tar.TypeDir, mode: 0o755, uid: uid, gid: gid},
		ent{name: "x/secret", body: "mine", uid: uid, gid: gid},
		ent{name: "y", typ: tar.TypeSymlink, link: "../decoy/secret", uid: uid, gid: gid},
		ent{name: "y", body: "file now", uid: uid, gid: gid},
	)
	if _, err := Unpack(bytes.NewReader(data), f, Flat); err != nil {
		t.Fatal(err)
	}
	if after := listing(t, decoy); after != before {
		t.Errorf("the decoy changed:\n%s\n%s", before, after)
	}
	if b, _ := os.ReadFile(filepath.Join(decoy, "secret")); string(b) != "keep" {
		t.Errorf("decoy/secret is %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "x")); err != nil || !fi.IsDir() {
		t.Errorf("x is not a directory: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "y")); string(b) != "file now" {
		t.Errorf("y is %q", b)
	}
}

func TestUnpackWhiteoutsFlat(t *testing.T) {
	uid, gid := own()
	dir, f, _ := target(t)
	for _, p := range []string{"a/b", "a/c", "d/e", "d/sub/f"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), nil, 0o644)
	}
	data := mktar(t,
		ent{name: "a/.wh.b", uid: uid, gid: gid},
		ent{name: "d/", typ: tar.TypeDir, mode: 0o755, uid: uid, gid: gid},
		ent{name: "d/new", body: "n", uid: uid, gid: gid},
		ent{name: "d/.wh..wh..opq", uid: uid, gid: gid},
		ent{name: "gone/.wh.x", uid: uid, gid: gid},
	)
	st, err := Unpack(bytes.NewReader(data), f, Flat)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(listing(t, dir), dir, "")
	for _, p := range []string{"/a/c ", "/d/new "} {
		if !strings.Contains(got, p) {
			t.Errorf("%s missing:\n%s", p, got)
		}
	}
	for _, p := range []string{"/a/b ", "/d/e ", "/d/sub", ".wh.", "/gone"} {
		if strings.Contains(got, p) {
			t.Errorf("%s still there:\n%s", p, got)
		}
	}
	if st.Whiteouts != 3 {
		t.Errorf("whiteouts %d, want 3", st.Whiteouts)
	}
}

func TestUnpackWhiteoutsOverlay(t *testing.T) {
	uid, gid := own()
	dir, f, _ := target(t)
	data := mktar(t,
		ent{name: "a/.wh.b", uid: uid, gid: gid},
		ent{name: "d/", typ: tar.TypeDir, mode: 0o755, uid: uid, gid: gid},
		ent{name: "d/.wh..wh..opq", uid: uid, gid: gid},
	)
	_, err := Unpack(bytes.NewReader(data), f, Overlay)
	if err != nil && os.Getuid() != 0 {
		t.Skipf("SKIP: whiteouts need root or a user namespace (UnpackRootless): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "a/b"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("a/b is not a 0/0 character device: %+v %v", st, err)
	}
	buf := make([]byte, 4)
	n, err := unix.Getxattr(filepath.Join(dir, "d"), OverlayOpaqueXattr, buf)
	if err != nil || string(buf[:n]) != "y" {
		t.Errorf("d: %s = %q, %v", OverlayOpaqueXattr, buf[:max(n, 0)], err)
	}
}

// A tarball may not set overlay's own attributes: in a layer they would
// hide or redirect files of other layers.
func TestUnpackDropsOverlayXattrs(t *testing.T) {
	uid, gid := own()
	dir, f, _ := target(t)
	data := mktar(t, ent{name: "d/", typ: tar.TypeDir, mode: 0o755, uid: uid, gid: gid, xattrs: map[string]string{"user.overlay.redirect": "/etc", "trusted.overlay.opaque": "y"}})
	st, err := Unpack(bytes.NewReader(data), f, Overlay)
	if err != nil {
		t.Fatal(err)
	}
	if st.XattrsSkipped != 2 {
		t.Errorf("skipped %d xattrs, want 2", st.XattrsSkipped)
	}
	if _, err := unix.Getxattr(filepath.Join(dir, "d"), "user.overlay.redirect", make([]byte, 16)); err == nil {
		t.Errorf("user.overlay.redirect was set")
	}
}

func TestUnpackCompressed(t *testing.T) {
	uid, gid := own()
	plain := mktar(t, ent{name: "hello", body: strings.Repeat("hello ", 1000), uid: uid, gid: gid})
	var gz, x, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	xw, _ := xz.NewWriter(&x)
	xw.Write(plain)
	xw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	for name, data := range map[string][]byte{"plain": plain, "gzip": gz.Bytes(), "xz": x.Bytes(), "zstd": zs.Bytes()} {
		t.Run(name, func(t *testing.T) {
			dir, f, _ := target(t)
			st, err := Unpack(bytes.NewReader(data), f, Flat)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "hello"))
			if st.Files != 1 || len(b) != 6000 {
				t.Errorf("stats %+v, %d bytes", st, len(b))
			}
			// Truncated: an error, whatever the compression.
			_, f2, _ := target(t)
			if _, err := Unpack(bytes.NewReader(data[:len(data)/2]), f2, Flat); err == nil {
				t.Errorf("a truncated tarball unpacked without an error")
			}
		})
	}
}

func TestUnpackCorruptOrCutAtAnEntry(t *testing.T) {
	uid, gid := own()
	plain := mktar(t, ent{name: "a", body: "x", uid: uid, gid: gid}, ent{name: "b", body: "y", uid: uid, gid: gid})
	// Cut right after the first entry's data block: archive/tar sees a
	// clean end there.
	cut := plain[:len(plain)-1024-1024]
	junk := bytes.Repeat([]byte("not a tarball "), 100)
	for name, data := range map[string][]byte{"cut": cut, "junk": junk, "empty": nil} {
		_, f, _ := target(t)
		_, err := Unpack(bytes.NewReader(data), f, Flat)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v; want a one-line error", name, err)
		}
	}
}

func TestUnpackRootlessMapsOwners(t *testing.T) {
	dir, _, _ := target(t)
	data := mktar(t, ent{name: "root", uid: 0, gid: 0}, ent{name: "one", uid: 1, gid: 1}, ent{name: "pipe", typ: tar.TypeFifo, mode: 0o600})
	st, err := UnpackRootless(context.Background(), bytes.NewReader(data), dir, Flat)
	if err != nil {
		if errors.Is(err, unix.EPERM) || strings.Contains(err.Error(), "outside the ids") || strings.Contains(err.Error(), "user namespace") {
			t.Skipf("SKIP: no user namespace with subordinate ids here: %v", err)
		}
		t.Fatal(err)
	}
	if st.Files != 2 || st.FIFOs != 1 {
		t.Errorf("stats %+v", st)
	}
	fi, _ := os.Lstat(filepath.Join(dir, "root"))
	if u := fi.Sys().(*syscall.Stat_t).Uid; int(u) != os.Getuid() {
		t.Errorf("the tarball's root file belongs to %d on the host, want %d", u, os.Getuid())
	}
	fi, _ = os.Lstat(filepath.Join(dir, "one"))
	if u := fi.Sys().(*syscall.Stat_t).Uid; int(u) == os.Getuid() && os.Getuid() != 0 {
		t.Errorf("uid 1 landed on the user's own uid")
	}
	if err := RemoveRootless(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("RemoveRootless left %s: %v", dir, err)
	}
	// A bad tarball: one line from the stage.
	dir2, _, _ := target(t)
	_, err = UnpackRootless(context.Background(), bytes.NewReader(mktar(t, ent{name: "../x"})), dir2, Flat)
	if err == nil || !strings.Contains(err.Error(), "leads out") {
		t.Errorf("escape through the stage: %v", err)
	}
}

// A sparse file keeps its holes; one that claims more than the free space
// is refused before anything is written. (testdata/mksparse.py made the
// tarballs, owned by uid 0.)
func TestUnpackSparse(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIP: the test tarballs belong to uid 0: run as root")
	}
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	dir, f, _ := target(t)
	if _, err := Unpack(open("sparse.tar"), f, Flat); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(dir, "s"), &st); err != nil || st.Size != 64<<20 || st.Blocks*512 > 1<<20 {
		t.Errorf("s: size %d, %d blocks, %v; want 64 MiB in holes", st.Size, st.Blocks, err)
	}
	dir2, f2, _ := target(t)
	if _, err := Unpack(open("sparse-huge.tar"), f2, Flat); err == nil || !strings.Contains(err.Error(), "free") {
		t.Errorf("an exabyte sparse file: %v; want a refusal naming the free space", err)
	}
	if _, err := os.Lstat(filepath.Join(dir2, "s")); err == nil {
		t.Errorf("the refused sparse file was made")
	}
}
