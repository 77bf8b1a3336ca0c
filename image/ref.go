package image

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urun-dev/urun/internal/imagestore"
)

// ParseReference parses an image reference as docker does: docker.io is the
// default registry, a bare name is under library/, a missing tag is latest.
// insecure allows plain http (and unverified TLS) to the registry. Its
// errors are imagestore's, which reads references the same way for urun.
func ParseReference(s string, insecure bool) (name.Reference, error) {
	if _, err := imagestore.NormalizeName(s); err != nil {
		return nil, err
	}
	opts := []name.Option{name.WithDefaultRegistry(name.DefaultRegistry), name.WithDefaultTag(name.DefaultTag)}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q does not parse (%v); write [REGISTRY/]NAME[:TAG|@sha256:DIGEST] in lower case", s, err)
	}
	return ref, nil
}

// HostPlatform is the platform this binary runs on (GOARM-style variants are
// not known at run time; an index's first entry of the architecture wins).
func HostPlatform() v1.Platform {
	return v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
}

// ParsePlatform parses --platform os/arch[/variant] (podman's syntax).
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return v1.Platform{}, fmt.Errorf("--platform %q: write OS/ARCH[/VARIANT], such as linux/amd64 or linux/arm64/v8", s)
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t\n:,") {
			return v1.Platform{}, fmt.Errorf("--platform %q: write OS/ARCH[/VARIANT], such as linux/amd64 or linux/arm64/v8", s)
		}
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// FormatPlatform is the inverse of ParsePlatform.
func FormatPlatform(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// matchPlatform says whether an index entry's platform serves want: os and
// architecture equal, and the variant equal when want names one (arm64's
// "v8" is its only variant, so it matches an entry without one).
func matchPlatform(have *v1.Platform, want v1.Platform) bool {
	if have == nil || have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	if want.Variant == "" || have.Variant == want.Variant {
		return true
	}
	return want.Architecture == "arm64" && want.Variant == "v8" && have.Variant == ""
}
