package imagestore

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                      "docker.io/library/busybox:latest",
		"debian:bookworm":              "docker.io/library/debian:bookworm",
		"127.0.0.1:5000/a/b":           "127.0.0.1:5000/a/b:latest",
		"docker.io/library/alpine:3.2": "docker.io/library/alpine:3.2",
		"quay.io/x/y@sha256:" + strings.Repeat("a", 64): "quay.io/x/y@sha256:" + strings.Repeat("a", 64),
	} {
		got, err := NormalizeName(in)
		if err != nil || got != want {
			t.Errorf("%s: got %q %v, want %q", in, got, err, want)
		}
	}
	im := &Image{Name: "127.0.0.1:5000/a/b:latest"}
	if im.Repository() != "127.0.0.1:5000/a/b" || im.Tag() != "latest" {
		t.Errorf("split: %s %s", im.Repository(), im.Tag())
	}
	for _, bad := range []string{"", "UPPER", "a b", "x:", "@sha256:1", "http://x/y", "a@sha256:" + strings.Repeat("A", 64),
		"host:port/x", strings.Repeat("0", 250), "x:" + strings.Repeat("t", 129)} {
		if n, err := NormalizeName(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %q %v", bad, n, err)
		}
	}
}

func FuzzNormalizeName(f *testing.F) {
	// 250 characters: valid short, too long with docker.io's library/ (found by CI's fuzzing).
	for _, s := range []string{"busybox", "a/b:c", "127.0.0.1:5000/x@sha256:" + strings.Repeat("a", 64), "", strings.Repeat("0", 250)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeName(s)
		if err != nil {
			return
		}
		// A normalized name is a fixed point.
		again, err := NormalizeName(n)
		if err != nil || again != n {
			t.Fatalf("%q -> %q -> %q %v", s, n, again, err)
		}
	})
}
