package image

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/urun-dev/urun/internal/imagestore"
)

// Load stores the images of an OCI layout (a directory, or a tarball of
// one) or of a docker-archive tarball (`docker save`). It returns them.
func (s *Store) Load(ctx context.Context, path string) ([]*imagestore.Image, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load -i %s: %w", path, unwrap(err))
	}
	if st.IsDir() {
		return s.loadLayout(ctx, path)
	}
	if isOCILayoutTar(path) {
		dir, err := os.MkdirTemp("", "urun-load-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := extractPlain(path, dir); err != nil {
			return nil, fmt.Errorf("load -i %s: %w", path, err)
		}
		return s.loadLayout(ctx, dir)
	}
	return s.loadDockerArchive(ctx, path)
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// isOCILayoutTar says whether a tarball holds an oci-layout file.
func isOCILayoutTar(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		if strings.TrimPrefix(h.Name, "./") == "oci-layout" {
			return true
		}
	}
}

// extractPlain unpacks an OCI layout tarball: regular files and
// directories only, names kept inside dir (it holds blobs, not a rootfs).
func extractPlain(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the tarball is damaged: %w", err)
		}
		clean := filepath.Clean("/" + h.Name)
		target := filepath.Join(dir, clean)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			out.Close()
			if err != nil {
				return fmt.Errorf("the tarball is damaged: %w", err)
			}
		}
	}
}

func (s *Store) loadLayout(ctx context.Context, dir string) ([]*imagestore.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("load -i %s: not an OCI layout (%v)", dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("load -i %s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("load -i %s: %w", dir, err)
	}
	var out []*imagestore.Image
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("load -i %s: %w", dir, err)
		}
		n := layoutName(d)
		plat := ""
		if d.Platform != nil {
			plat = FormatPlatform(*d.Platform)
		}
		stored, err := s.Add(ctx, n, img, plat)
		if err != nil {
			return nil, fmt.Errorf("load -i %s: %w", dir, err)
		}
		out = append(out, stored)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("load -i %s: the layout holds no image", dir)
	}
	return out, nil
}

// layoutName is the name an OCI layout gives a manifest: containerd's full
// name annotation, or the OCI ref name when it is a full reference (a bare
// tag names nothing we could pull).
func layoutName(d v1.Descriptor) string {
	for _, k := range []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"} {
		v := d.Annotations[k]
		if v == "" || !strings.ContainsAny(v, "/:") {
			continue
		}
		if n, err := imagestore.NormalizeName(v); err == nil {
			return n
		}
	}
	return ""
}

func (s *Store) loadDockerArchive(ctx context.Context, path string) ([]*imagestore.Image, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("load -i %s: neither an OCI layout nor a docker-archive tarball (%v)", path, err)
	}
	var out []*imagestore.Image
	for _, d := range m {
		tags := d.RepoTags
		if len(tags) == 0 {
			tags = []string{""}
		}
		for _, t := range tags {
			var tag *name.Tag
			if t != "" {
				tg, err := name.NewTag(t)
				if err != nil {
					return nil, fmt.Errorf("load -i %s: tag %q: %w", path, t, err)
				}
				tag = &tg
			}
			img, err := tarball.Image(opener, tag)
			if err != nil {
				return nil, fmt.Errorf("load -i %s: %w", path, err)
			}
			n := ""
			if tag != nil {
				n = displayName(*tag)
			}
			stored, err := s.Add(ctx, n, img, "")
			if err != nil {
				return nil, fmt.Errorf("load -i %s: %w", path, err)
			}
			out = append(out, stored)
			if tag == nil {
				break
			}
		}
	}
	return out, nil
}
