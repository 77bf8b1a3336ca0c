package image

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/urun-dev/urun/internal/imagestore"
)

// imagestore reads references without pkg/name, for urun's start-up; the
// store holds names that pkg/name made (displayName), so the two must
// agree on every input: the same refusals, the same names.
func FuzzNormalizeNameAgreesWithPkgName(f *testing.F) {
	hex := strings.Repeat("a", 64)
	for _, s := range []string{
		"busybox", "a/b:c", "127.0.0.1:5000/x@sha256:" + hex, "", " ", "UPPER", "x:", "x:Y_1.-",
		"docker.io/x", "index.docker.io/library/x:1", "localhost/x", "localhost:5000/x:1", "localhost",
		"a.b/c", "a:b/c", "a:5000/c", "[::1]:5000/x", "a%20b.c/x", "user@host.x/y",
		"x:1@sha256:" + hex, "x@sha256:" + hex + "@", "x@sha512:" + strings.Repeat("b", 128), "x@sha384:" + strings.Repeat("c", 96),
		"x@md5:" + hex, "x@sha256:" + strings.ToUpper(hex), "http://x/y", "a//b", "/a", "a/", "é",
		strings.Repeat("0", 250), strings.Repeat("0", 247), "quay.io/" + strings.Repeat("x", 255), "x:" + strings.Repeat("t", 129),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := imagestore.NormalizeName(s)
		r, perr := name.ParseReference(s, name.WithDefaultRegistry(name.DefaultRegistry), name.WithDefaultTag(name.DefaultTag))
		if perr == nil {
			// pkg/name checks the short form; the store keeps the full one.
			_, perr = name.ParseReference(r.Name())
		}
		switch {
		case (err == nil) != (perr == nil):
			t.Fatalf("%q: imagestore says %q %v, pkg/name %v", s, got, err, perr)
		case err == nil && got != displayName(r):
			t.Fatalf("%q: imagestore names %q, pkg/name %q", s, got, displayName(r))
		}
	})
}
