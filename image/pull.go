package image

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/urun-dev/urun/internal/imagestore"
)

// PullOptions tune a pull.
type PullOptions struct {
	// Platform selects from a multi-arch index; nil is the host's.
	Platform *v1.Platform
	// Insecure is --tls-verify=false: plain http or unverified TLS.
	Insecure bool
}

// displayName is the name the store keeps: docker.io rather than
// index.docker.io, the tag or the digest kept.
func displayName(r name.Reference) string {
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	repo := reg + "/" + r.Context().RepositoryStr()
	switch t := r.(type) {
	case name.Tag:
		return repo + ":" + t.TagStr()
	case name.Digest:
		return repo + "@" + t.DigestStr()
	}
	return r.Name()
}

// Pull fetches ref from its registry into the store.
func (s *Store) Pull(ctx context.Context, ref string, o PullOptions) (*imagestore.Image, error) {
	r, err := ParseReference(ref, o.Insecure)
	if err != nil {
		return nil, err
	}
	tr := remote.DefaultTransport.(*http.Transport).Clone()
	if o.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --tls-verify=false asked for it
	}
	ropts := []remote.Option{
		remote.WithContext(ctx), remote.WithAuthFromKeychain(Keychain()),
		remote.WithTransport(tr), remote.WithUserAgent("urun"),
	}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, registryError(ref, r, err)
	}
	want := HostPlatform()
	if o.Platform != nil {
		want = *o.Platform
	}
	var img v1.Image
	platform := ""
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, registryError(ref, r, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, registryError(ref, r, err)
		}
		var have []string
		var pick *v1.Descriptor
		for i, m := range im.Manifests {
			if m.Platform == nil || !m.MediaType.IsImage() {
				continue
			}
			// Attestation manifests (buildkit's) are unknown/unknown.
			if m.Platform.OS == "unknown" {
				continue
			}
			have = append(have, FormatPlatform(*m.Platform))
			if pick == nil && matchPlatform(m.Platform, want) {
				pick = &im.Manifests[i]
			}
		}
		if pick == nil {
			return nil, fmt.Errorf("image %s has no %s variant; it has %s (choose one with --platform)", ref, FormatPlatform(want), strings.Join(have, ", "))
		}
		if img, err = idx.Image(pick.Digest); err != nil {
			return nil, registryError(ref, r, err)
		}
		platform = FormatPlatform(*pick.Platform)
	case desc.MediaType.IsImage():
		if img, err = desc.Image(); err != nil {
			return nil, registryError(ref, r, err)
		}
		if cfg, err := img.ConfigFile(); err == nil && cfg.OS != "" {
			platform = FormatPlatform(*cfg.Platform())
			if o.Platform != nil && !matchPlatform(cfg.Platform(), want) {
				return nil, fmt.Errorf("image %s is for %s only, not %s", ref, platform, FormatPlatform(want))
			}
		}
	default:
		return nil, fmt.Errorf("%s is a %s, not an image urun can run", ref, desc.MediaType)
	}
	im, err := s.Add(ctx, displayName(r), img, platform)
	if err != nil {
		var de *DigestError
		if errors.As(err, &de) || ctx.Err() != nil {
			return nil, err
		}
		return nil, registryError(ref, r, err)
	}
	return im, nil
}

// registryError turns what the registry client says into one line that
// says what to do.
func registryError(ref string, r name.Reference, err error) error {
	reg := r.Context().RegistryStr()
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("registry %s refused access to %s (%d %s): put credentials for it in ~/.docker/config.json or $XDG_RUNTIME_DIR/containers/auth.json, or check the name", reg, ref, te.StatusCode, http.StatusText(te.StatusCode))
		case http.StatusNotFound:
			return fmt.Errorf("image %s not found on %s (404); check the name and the tag", ref, reg)
		}
		for _, d := range te.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
				return fmt.Errorf("image %s not found on %s (%s); check the name and the tag", ref, reg, d.Code)
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return fmt.Errorf("registry %s refused access to %s (%s): put credentials for it in ~/.docker/config.json or $XDG_RUNTIME_DIR/containers/auth.json", reg, ref, d.Code)
			}
		}
	}
	var ne net.Error
	var oe *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &oe) || errors.As(err, &ne) {
		return fmt.Errorf("registry %s cannot be reached (%v); check the address and your network (a local registry over plain http needs --tls-verify=false)", reg, oneLine(err))
	}
	return fmt.Errorf("pulling %s: %s", ref, oneLine(err))
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
