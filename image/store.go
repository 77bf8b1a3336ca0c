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
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// Image is one entry of the store's index: a name (or none) for a manifest.
type Image struct {
	// Name is REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@DIGEST; empty
	// for an image loaded without a name (reached by its ID).
	Name string `json:"name,omitempty"`
	// ID is the config's digest (docker's image ID).
	ID string `json:"id"`
	// Manifest is the manifest's digest.
	Manifest string `json:"manifest"`
	// Blobs are the manifest, the config and the compressed layers.
	Blobs []string `json:"blobs"`
	// Layers are the diff ids, lowest first (the config's order).
	Layers   []string  `json:"layers"`
	Created  time.Time `json:"created"`
	Size     int64     `json:"size"`
	Platform string    `json:"platform,omitempty"`
}

// Repository and Tag split Name for `urun images`.
func (im *Image) Repository() string {
	if im.Name == "" {
		return "<none>"
	}
	if i := strings.LastIndex(im.Name, "@"); i >= 0 {
		return im.Name[:i]
	}
	if i := strings.LastIndex(im.Name, ":"); i > strings.LastIndex(im.Name, "/") {
		return im.Name[:i]
	}
	return im.Name
}

// Tag is the tag of Name, <none> for a digest or no name.
func (im *Image) Tag() string {
	if im.Name == "" || strings.Contains(im.Name, "@") {
		return "<none>"
	}
	if i := strings.LastIndex(im.Name, ":"); i > strings.LastIndex(im.Name, "/") {
		return im.Name[i+1:]
	}
	return "<none>"
}

// Store is the per-user image store.
//
//	ROOT/lock                    flock: shared to read, exclusive to write
//	ROOT/images.json             the index, replaced by rename
//	ROOT/blobs/sha256/HEX        manifests, configs, compressed layers
//	ROOT/layers/sha256/HEX       unpacked layers, by diff id
//	ROOT/tmp/                    blobs being written
//	ROOT/layers/sha256/.tmp-*    layers being unpacked
type Store struct {
	Root string
	// Unpack writes the tar stream r into the empty directory dir, rootless
	// (inside the user namespace), OCI whiteouts as overlayfs whiteouts.
	Unpack func(ctx context.Context, r io.Reader, dir string) error
	// RemoveAll removes an unpacked tree; its files may belong to
	// subordinate ids, which the caller can remove and this package cannot.
	RemoveAll func(dir string) error
	// Progress reports pulls; nil prints nothing.
	Progress *Progress
}

// DefaultRoot is $XDG_DATA_HOME/urun, ~/.local/share/urun by default.
func DefaultRoot() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "urun"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the image store: %w; set XDG_DATA_HOME or HOME", err)
	}
	return filepath.Join(home, ".local", "share", "urun"), nil
}

func (s *Store) blobPath(d string) string {
	return filepath.Join(s.Root, "blobs", "sha256", strings.TrimPrefix(d, "sha256:"))
}

// LayerDir is the unpacked layer of a diff id.
func (s *Store) LayerDir(diffID string) string {
	return filepath.Join(s.Root, "layers", "sha256", strings.TrimPrefix(diffID, "sha256:"))
}

func (s *Store) ensure() error {
	for _, d := range []string{"blobs/sha256", "layers/sha256", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.Root, d), 0o700); err != nil {
			return fmt.Errorf("creating the image store %s: %w", s.Root, err)
		}
	}
	return nil
}

// lock takes the store's lock, exclusive for writers.
func (s *Store) lock(exclusive bool) (func(), error) {
	if err := s.ensure(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(s.Root, "lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the image store: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if err := flock(f, how); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the image store: %w", err)
	}
	return func() { f.Close() }, nil
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

type index struct {
	Images []*Image `json:"images"`
}

func (s *Store) readIndex() (*index, error) {
	var ix index
	b, err := os.ReadFile(filepath.Join(s.Root, "images.json"))
	if errors.Is(err, os.ErrNotExist) {
		return &ix, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the image index: %w", err)
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("the image index %s is damaged (%v); remove it and pull again", filepath.Join(s.Root, "images.json"), err)
	}
	return &ix, nil
}

func (s *Store) writeIndex(ix *index) error {
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.Root, "images.json"), b)
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

// List returns the stored images.
func (s *Store) List() ([]*Image, error) {
	unlock, err := s.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	return ix.Images, nil
}

// ErrNotFound says no stored image matches a reference.
var ErrNotFound = errors.New("image not found in the store")

// match finds the images ref names: a name (normalized as docker does), an
// image ID (or a prefix of at least 3 hex digits) or a manifest digest.
func match(ix *index, ref string) []*Image {
	var out []*Image
	if r, err := ParseReference(ref, false); err == nil {
		n := displayName(r)
		for _, im := range ix.Images {
			if im.Name == n {
				out = append(out, im)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	id := strings.TrimPrefix(ref, "sha256:")
	if len(id) < 3 || strings.Trim(id, "0123456789abcdef") != "" {
		return nil
	}
	for _, im := range ix.Images {
		if strings.HasPrefix(strings.TrimPrefix(im.ID, "sha256:"), id) || im.Manifest == "sha256:"+id {
			out = append(out, im)
		}
	}
	return out
}

// Lookup finds the stored image ref names; ErrNotFound when none.
func (s *Store) Lookup(ref string) (*Image, error) {
	unlock, err := s.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.lookup(ref)
}

// Use finds the image ref names and marks it in use until the mark is
// released: rmi refuses it meanwhile (unless forced). The mark is a shared
// flock, so a urun that dies, even by SIGKILL, leaves no stale mark; a
// process that inherits Mark.File (a detached run's monitor) holds it on.
func (s *Store) Use(ref string) (im *Image, mark *Mark, err error) {
	unlock, err := s.lock(false)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	if im, err = s.lookup(ref); err != nil {
		return nil, nil, err
	}
	f, err := s.inUse(im, unix.LOCK_SH)
	if err != nil {
		return nil, nil, err
	}
	return im, &Mark{f: f}, nil
}

// Mark is an image's in-use mark (see Use).
type Mark struct{ f *os.File }

// File is the open file that holds the mark: the mark lasts as long as any
// process keeps a descriptor of it open.
func (m *Mark) File() *os.File {
	if m == nil {
		return nil
	}
	return m.f
}

// Release ends this process's hold on the mark. A nil Mark is a no-op.
func (m *Mark) Release() {
	if m != nil {
		m.f.Close()
	}
}

// inUse takes the in-use lock of an image (its manifest's digest) as how.
func (s *Store) inUse(im *Image, how int) (*os.File, error) {
	dir := filepath.Join(s.Root, "inuse")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("marking image %s in use: %w", im.Name, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, strings.TrimPrefix(im.Manifest, "sha256:")), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("marking image %s in use: %w", im.Name, err)
	}
	if err := flock(f, how); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// flock takes an flock on f, again when a signal interrupts the wait.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func (s *Store) lookup(ref string) (*Image, error) {
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	ims := match(ix, ref)
	if len(ims) == 0 {
		return nil, ErrNotFound
	}
	for _, im := range ims[1:] {
		if im.ID != ims[0].ID {
			return nil, fmt.Errorf("%q names more than one image; give more of the ID or a name", ref)
		}
	}
	return ims[0], s.complete(ims[0])
}

// complete checks that every layer of an image is unpacked (an image in
// the index always is; this catches a store changed by hand).
func (s *Store) complete(im *Image) error {
	for _, l := range im.Layers {
		if _, err := os.Lstat(s.LayerDir(l)); err != nil {
			return fmt.Errorf("image %s is missing its layer %s in the store (%v); pull it again", im.Name, ShortID(l), err)
		}
	}
	return nil
}

// Config reads an image's config from the store.
func (s *Store) Config(im *Image) (*v1.ConfigFile, error) {
	f, err := os.Open(s.blobPath(im.ID))
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s: %w", im.Name, err)
	}
	defer f.Close()
	cfg, err := v1.ParseConfigFile(f)
	if err != nil {
		return nil, fmt.Errorf("the config of %s in the store is damaged (%v); pull it again", im.Name, err)
	}
	return cfg, nil
}

// LayerDirs are the unpacked layers of an image, uppermost first
// (overlayfs's lowerdir order).
func (s *Store) LayerDirs(im *Image) []string {
	dirs := make([]string, 0, len(im.Layers))
	for i := len(im.Layers) - 1; i >= 0; i-- {
		dirs = append(dirs, s.LayerDir(im.Layers[i]))
	}
	return dirs
}

// Add stores img under name (empty: no name): its blobs, each verified,
// and its layers unpacked once each; then the index. It is the common end
// of pull and load.
func (s *Store) Add(ctx context.Context, name string, img v1.Image, platform string) (*Image, error) {
	unlock, err := s.lock(true)
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
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	ix.Images = slices.DeleteFunc(ix.Images, func(o *Image) bool {
		return (name != "" && o.Name == name) || (name == "" && o.Name == "" && o.Manifest == im.Manifest)
	})
	ix.Images = append(ix.Images, im)
	if err := s.writeIndex(ix); err != nil {
		return nil, err
	}
	return im, nil
}

func (s *Store) add(ctx context.Context, name string, img v1.Image, platform string) (*Image, error) {
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
	im := &Image{Name: name, ID: m.Config.Digest.String(), Manifest: mdig, Created: cfg.Created.Time, Platform: platform}
	for i, l := range layers {
		desc := m.Layers[i]
		diffID := cfg.RootFS.DiffIDs[i].String()
		if exists(s.LayerDir(diffID)) && exists(s.blobPath(desc.Digest.String())) {
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
	final := s.blobPath(digest)
	if exists(final) {
		return nil
	}
	f, err := os.CreateTemp(filepath.Join(s.Root, "tmp"), ShortID(digest)+"-*")
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
				return fmt.Errorf("storing blob %s: %w", ShortID(digest), err)
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
		return fmt.Errorf("storing blob %s: %w", ShortID(digest), err)
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return fmt.Errorf("storing blob %s: %w", ShortID(digest), err)
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
	if !exists(s.blobPath(desc.Digest.String())) {
		rc, err := l.Compressed()
		if err != nil {
			return fmt.Errorf("fetching layer %s: %w", ShortID(desc.Digest.String()), err)
		}
		err = s.putBlob(ctx, desc.Digest.String(), rc, s.Progress.add)
		rc.Close()
		if err != nil {
			var de *DigestError
			if errors.As(err, &de) || ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("fetching layer %s: %w", ShortID(desc.Digest.String()), err)
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
	f, err := os.Open(s.blobPath(digest))
	if err != nil {
		return fmt.Errorf("opening layer %s: %w", ShortID(digest), err)
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return fmt.Errorf("layer %s: %w", ShortID(digest), err)
	}
	final := s.LayerDir(diffID)
	tmp := filepath.Join(filepath.Dir(final), ".tmp-"+ShortID(diffID)+"-"+randHex())
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("unpacking layer %s: %w", ShortID(digest), err)
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
		return fmt.Errorf("unpacking layer %s: %w", ShortID(digest), err)
	}
	// The unpacker may stop at the tar's end marker: the diff id covers
	// every byte.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return fmt.Errorf("unpacking layer %s: %w", ShortID(digest), err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != diffID {
		return fmt.Errorf("layer %s unpacks to diff id %s, not the %s its config names; the image is corrupt, nothing was stored", ShortID(digest), got, diffID)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("unpacking layer %s: %w", ShortID(digest), err)
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
func (s *Store) Remove(refs []string, force bool) ([]*Image, error) {
	unlock, err := s.lock(true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var gone []*Image
	for _, ref := range refs {
		ims := match(ix, ref)
		if len(ims) == 0 {
			return nil, fmt.Errorf("no image %s in the store; see 'urun images'", ref)
		}
		for _, im := range ims {
			f, err := s.inUse(im, unix.LOCK_EX|unix.LOCK_NB)
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
		ix.Images = slices.DeleteFunc(ix.Images, func(o *Image) bool { return slices.Contains(ims, o) })
	}
	if err := s.writeIndex(ix); err != nil {
		return nil, err
	}
	return gone, s.gc(ix)
}

// gc removes blobs and layers no image in ix uses, and what interrupted
// writers left.
func (s *Store) gc(ix *index) error {
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
				return fmt.Errorf("removing layer %s: %w", ShortID(e.Name()), err)
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
		f, err := s.inUse(&Image{Manifest: e.Name()}, unix.LOCK_EX|unix.LOCK_NB)
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
				return fmt.Errorf("removing blob %s: %w", ShortID(e.Name()), err)
			}
		}
	}
	return nil
}
