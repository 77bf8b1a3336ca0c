package image

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
	"github.com/urun-dev/urun/internal/imagestore"
	"golang.org/x/sys/unix"
)

// Store is the per-user image store: the layout and the read side are
// package imagestore's; Store adds the writers (Add, Pull, Load, Remove).
type Store struct {
	imagestore.Store
	// Unpack writes the tar stream r into the empty directory dir, rootless
	// (inside the user namespace), OCI whiteouts as overlayfs whiteouts.
	Unpack func(ctx context.Context, r io.Reader, dir string) error
	// RemoveAll removes an unpacked tree; its files may belong to
	// subordinate ids, which the caller can remove and this package cannot.
	RemoveAll func(dir string) error
	// Progress reports pulls; nil prints nothing.
	Progress *Progress
}

// cleanTemp deletes what an interrupted writer left: partial blobs and
// half-unpacked layers. Called with the exclusive lock held, so no writer is
// at work.
func (s *Store) cleanTemp() error {
	tmp := filepath.Join(s.Root, "tmp")
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("reading %s: %w", tmp, err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			return fmt.Errorf("removing a partial download: %w", err)
		}
	}
	layers := filepath.Join(s.Root, "layers", "sha256")
	ents, err = os.ReadDir(layers)
	if err != nil {
		return fmt.Errorf("reading %s: %w", layers, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if err := s.removeAll(filepath.Join(layers, e.Name())); err != nil {
				return fmt.Errorf("removing a partly unpacked layer: %w", err)
			}
		}
	}
	return nil
}

func (s *Store) removeAll(dir string) error {
	if s.RemoveAll != nil {
		return s.RemoveAll(dir)
	}
	return os.RemoveAll(dir)
}

func (s *Store) writeIndex(ix *imagestore.Index) error {
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.IndexPath(), b)
}

// writeFileAtomic writes a file under a temporary name and renames it into
// place once it is on disk: readers see the old file or the new one.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Add stores img under name (empty: no name): its blobs, each verified,
// and its layers unpacked once each; then the index. It is the common end
// of pull and load.
func (s *Store) Add(ctx context.Context, name string, img v1.Image, platform string) (*imagestore.Image, error) {
	unlock, err := s.Lock(true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.cleanTemp(); err != nil {
		return nil, err
	}
	im, err := s.add(ctx, name, img, platform)
	if err != nil {
		return nil, err
	}
	ix, err := s.ReadIndex()
	if err != nil {
		return nil, err
	}
	ix.Images = slices.DeleteFunc(ix.Images, func(o *imagestore.Image) bool {
		return (name != "" && o.Name == name) || (name == "" && o.Name == "" && o.Manifest == im.Manifest)
	})
	ix.Images = append(ix.Images, im)
	if err := s.writeIndex(ix); err != nil {
		return nil, err
	}
	return im, nil
}

func (s *Store) add(ctx context.Context, name string, img v1.Image, platform string) (*imagestore.Image, error) {
	rawManifest, err := img.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(rawManifest))
	if err != nil {
		return nil, fmt.Errorf("the manifest does not parse: %w", err)
	}
	mdig := digestOf(rawManifest)
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the image config: %w", err)
	}
	if got := digestOf(rawCfg); got != m.Config.Digest.String() {
		return nil, fmt.Errorf("the image config's digest is %s, not the %s its manifest names; nothing was stored", got, m.Config.Digest)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawCfg))
	if err != nil {
		return nil, fmt.Errorf("the image config does not parse: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading the layers: %w", err)
	}
	if len(layers) != len(cfg.RootFS.DiffIDs) || len(layers) != len(m.Layers) {
		return nil, fmt.Errorf("the image has %d layers in its manifest but %d diff ids in its config; it is malformed", len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	im := &imagestore.Image{Name: name, ID: m.Config.Digest.String(), Manifest: mdig, Created: cfg.Created.Time, Platform: platform}
	for i, l := range layers {
		desc := m.Layers[i]
		diffID := cfg.RootFS.DiffIDs[i].String()
		if exists(s.LayerDir(diffID)) && exists(s.BlobPath(desc.Digest.String())) {
			s.Progress.present(i+1, len(layers), desc.Digest.String())
		} else {
			s.Progress.start(i+1, len(layers), desc.Digest.String(), desc.Size)
			if err := s.putLayer(ctx, l, desc, diffID); err != nil {
				s.Progress.fail()
				return nil, err
			}
			s.Progress.done()
		}
		im.Blobs = append(im.Blobs, desc.Digest.String())
		im.Layers = append(im.Layers, diffID)
		im.Size += desc.Size
	}
	if err := s.putBytes(im.ID, rawCfg); err != nil {
		return nil, err
	}
	if err := s.putBytes(mdig, rawManifest); err != nil {
		return nil, err
	}
	im.Blobs = append(im.Blobs, im.ID, mdig)
	return im, nil
}

func digestOf(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func (s *Store) putBytes(digest string, b []byte) error {
	return s.putBlob(context.Background(), digest, bytes.NewReader(b), nil)
}

// putBlob writes a blob under its digest: hashed as the bytes arrive into
// ROOT/tmp, renamed into place only when the digest matches.
func (s *Store) putBlob(ctx context.Context, digest string, r io.Reader, counted func(int64)) error {
	if !strings.HasPrefix(digest, "sha256:") {
		return fmt.Errorf("blob digest %s: only sha256 is supported", digest)
	}
	final := s.BlobPath(digest)
	if exists(final) {
		return nil
	}
	f, err := os.CreateTemp(filepath.Join(s.Root, "tmp"), imagestore.ShortID(digest)+"-*")
	if err != nil {
		return fmt.Errorf("storing blob %s: %w", digest, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return fmt.Errorf("storing blob %s: %w", imagestore.ShortID(digest), err)
			}
			if counted != nil {
				counted(int64(n))
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		return &DigestError{Want: digest, Got: got}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storing blob %s: %w", imagestore.ShortID(digest), err)
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return fmt.Errorf("storing blob %s: %w", imagestore.ShortID(digest), err)
	}
	return nil
}

// DigestError is a blob whose bytes are not those its digest names.
type DigestError struct{ Want, Got string }

func (e *DigestError) Error() string {
	return fmt.Sprintf("blob %s arrived with digest %s: the source served other bytes than the manifest names (corrupt or tampered); nothing was stored", e.Want, e.Got)
}

// putLayer stores a layer's compressed blob and unpacks it once by diff id.
func (s *Store) putLayer(ctx context.Context, l v1.Layer, desc v1.Descriptor, diffID string) error {
	dir := s.LayerDir(diffID)
	if !exists(s.BlobPath(desc.Digest.String())) {
		rc, err := l.Compressed()
		if err != nil {
			return fmt.Errorf("fetching layer %s: %w", imagestore.ShortID(desc.Digest.String()), err)
		}
		err = s.putBlob(ctx, desc.Digest.String(), rc, s.Progress.add)
		rc.Close()
		if err != nil {
			var de *DigestError
			if errors.As(err, &de) || ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("fetching layer %s: %w", imagestore.ShortID(desc.Digest.String()), err)
		}
	}
	if exists(dir) {
		return nil
	}
	return s.unpack(ctx, desc.Digest.String(), diffID)
}

// unpack unpacks a stored blob into a temporary directory beside its final
// place (a rename within one directory needs no write access to the moved
// directory, whose owner the layer sets) and renames it in when the
// uncompressed bytes matched the diff id.
func (s *Store) unpack(ctx context.Context, digest, diffID string) (err error) {
	if s.Unpack == nil {
		return fmt.Errorf("no layer unpacker")
	}
	f, err := os.Open(s.BlobPath(digest))
	if err != nil {
		return fmt.Errorf("opening layer %s: %w", imagestore.ShortID(digest), err)
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return fmt.Errorf("layer %s: %w", imagestore.ShortID(digest), err)
	}
	final := s.LayerDir(diffID)
	tmp := filepath.Join(filepath.Dir(final), ".tmp-"+imagestore.ShortID(diffID)+"-"+randHex())
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("unpacking layer %s: %w", imagestore.ShortID(digest), err)
	}
	defer func() {
		if err != nil {
			if rerr := s.removeAll(tmp); rerr != nil {
				err = fmt.Errorf("%w (and removing %s: %v)", err, tmp, rerr)
			}
		}
	}()
	h := sha256.New()
	tee := &hashReader{r: r, h: h}
	if err := s.Unpack(ctx, tee, tmp); err != nil {
		return fmt.Errorf("unpacking layer %s: %w", imagestore.ShortID(digest), err)
	}
	// The unpacker may stop at the tar's end marker: the diff id covers
	// every byte.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return fmt.Errorf("unpacking layer %s: %w", imagestore.ShortID(digest), err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != diffID {
		return fmt.Errorf("layer %s unpacks to diff id %s, not the %s its config names; the image is corrupt, nothing was stored", imagestore.ShortID(digest), got, diffID)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("unpacking layer %s: %w", imagestore.ShortID(digest), err)
	}
	return nil
}

type hashReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

func randHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// decompress sniffs a layer's compression: gzip, zstd or a plain tar (all
// three are OCI layer media types).
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return br, nil
}

// Remove removes the images refs name and frees the blobs and layers no
// remaining image uses. It returns the removed images.
func (s *Store) Remove(refs []string, force bool) ([]*imagestore.Image, error) {
	unlock, err := s.Lock(true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ix, err := s.ReadIndex()
	if err != nil {
		return nil, err
	}
	var gone []*imagestore.Image
	for _, ref := range refs {
		ims := imagestore.Match(ix, ref)
		if len(ims) == 0 {
			return nil, fmt.Errorf("no image %s in the store; see 'urun images'", ref)
		}
		for _, im := range ims {
			f, err := s.InUse(im, unix.LOCK_EX|unix.LOCK_NB)
			if errors.Is(err, unix.EWOULDBLOCK) {
				if !force {
					return nil, fmt.Errorf("image %s is used by a running container; stop it first, or rmi -f to remove it anyway", ref)
				}
			} else if err != nil {
				return nil, err
			} else {
				f.Close()
			}
		}
		gone = append(gone, ims...)
		ix.Images = slices.DeleteFunc(ix.Images, func(o *imagestore.Image) bool { return slices.Contains(ims, o) })
	}
	if err := s.writeIndex(ix); err != nil {
		return nil, err
	}
	return gone, s.gc(ix)
}

// gc removes blobs and layers no image in ix uses, and what interrupted
// writers left.
func (s *Store) gc(ix *imagestore.Index) error {
	if err := s.cleanTemp(); err != nil {
		return err
	}
	blobs, layers := map[string]bool{}, map[string]bool{}
	for _, im := range ix.Images {
		for _, b := range im.Blobs {
			blobs[strings.TrimPrefix(b, "sha256:")] = true
		}
		for _, l := range im.Layers {
			layers[strings.TrimPrefix(l, "sha256:")] = true
		}
	}
	dir := filepath.Join(s.Root, "layers", "sha256")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	for _, e := range ents {
		if !layers[e.Name()] {
			if err := s.removeAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("removing layer %s: %w", imagestore.ShortID(e.Name()), err)
			}
		}
	}
	// In-use marks of removed images go too, unless a container (of an
	// image removed with -f) still holds one.
	manifests := map[string]bool{}
	for _, im := range ix.Images {
		manifests[strings.TrimPrefix(im.Manifest, "sha256:")] = true
	}
	dir = filepath.Join(s.Root, "inuse")
	ents, _ = os.ReadDir(dir)
	for _, e := range ents {
		if manifests[e.Name()] {
			continue
		}
		f, err := s.InUse(&imagestore.Image{Manifest: e.Name()}, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			os.Remove(f.Name())
			f.Close()
		}
	}
	dir = filepath.Join(s.Root, "blobs", "sha256")
	if ents, err = os.ReadDir(dir); err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	for _, e := range ents {
		if !blobs[e.Name()] {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("removing blob %s: %w", imagestore.ShortID(e.Name()), err)
			}
		}
	}
	return nil
}
