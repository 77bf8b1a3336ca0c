package archive

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUnpack feeds random bytes (seeded with tarballs that try the classic
// escapes) to the unpacker: it must return errors, never panic, and never
// write beside its target directory.
func FuzzUnpack(f *testing.F) {
	uid, gid := own()
	f.Add(mktar(f, ent{name: "a/b", body: "x", uid: uid, gid: gid}))
	f.Add(mktar(f, ent{name: "l", typ: tar.TypeSymlink, link: "../decoy", uid: uid, gid: gid}, ent{name: "l/x", body: "x", uid: uid, gid: gid}))
	f.Add(mktar(f, ent{name: "h", typ: tar.TypeLink, link: "../decoy/secret", uid: uid, gid: gid}))
	f.Add(mktar(f, ent{name: "d/", typ: tar.TypeDir, mode: 0o755, uid: uid, gid: gid}, ent{name: "d/.wh..wh..opq", uid: uid, gid: gid}, ent{name: "d/.wh.x", uid: uid, gid: gid}))
	f.Add(mktar(f, ent{name: ".wh...", uid: uid, gid: gid}))
	if b, err := os.ReadFile("testdata/sparse-huge.tar"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		name, dir, decoy := target(t)
		// Everything beside the target: the decoy and the parent itself.
		base := filepath.Dir(decoy)
		beside := func() string { return strings.ReplaceAll(listing(t, base), name, "TARGET") }
		before := beside()
		_, _ = Unpack(bytes.NewReader(data), dir, Flat)
		_, _ = Unpack(bytes.NewReader(data), dir, Overlay)
		if after := beside(); !sameBeside(before, after) {
			t.Fatalf("written outside the target:\n%s\n%s", before, after)
		}
	})
}

// sameBeside compares two listings of the target's parent, leaving out the
// target itself (whose mode a "./" entry sets) and its contents.
func sameBeside(a, b string) bool {
	keep := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.Contains(l, "TARGET") {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	return keep(a) == keep(b)
}
