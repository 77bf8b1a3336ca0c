package archive

import (
	"archive/tar"
	"bytes"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		_, dir, decoy := target(t)
		before := listing(t, decoy)
		_, _ = Unpack(bytes.NewReader(data), dir, Flat)
		_, _ = Unpack(bytes.NewReader(data), dir, Overlay)
		if after := listing(t, decoy); after != before {
			t.Fatalf("written outside the target:\n%s\n%s", before, after)
		}
	})
}
