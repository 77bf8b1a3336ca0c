// Package imagestore owns the per-user image store's layout on disk and its
// read side: the index of images, finding an image by name or ID, the in-use
// marks, the unpacked layers, and an image's run defaults. urun reads the
// store through it on every `urun run IMAGE` without starting the image
// helper, so it imports none of the image code (not even
// go-containerregistry's reference parser: ref.go says why); package image,
// which only the helper links, writes the store (pull, load, remove).
//
//	ROOT/lock                    flock: shared to read, exclusive to write
//	ROOT/images.json             the index, replaced by rename
//	ROOT/blobs/sha256/HEX        manifests, configs, compressed layers
//	ROOT/layers/sha256/HEX       unpacked layers, by diff id
//	ROOT/inuse/HEX               in-use marks, by manifest digest
//	ROOT/tmp/                    blobs being written
//	ROOT/layers/sha256/.tmp-*    layers being unpacked
package imagestore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/urun-dev/urun/internal/imageproto"
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

// Store is the per-user image store at Root.
type Store struct {
	Root string
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

// BlobPath is the stored blob of a digest.
func (s *Store) BlobPath(d string) string {
	return filepath.Join(s.Root, "blobs", "sha256", strings.TrimPrefix(d, "sha256:"))
}

// LayerDir is the unpacked layer of a diff id.
func (s *Store) LayerDir(diffID string) string {
	return filepath.Join(s.Root, "layers", "sha256", strings.TrimPrefix(diffID, "sha256:"))
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

// Ensure creates the store's directories.
func (s *Store) Ensure() error {
	for _, d := range []string{"blobs/sha256", "layers/sha256", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.Root, d), 0o700); err != nil {
			return fmt.Errorf("creating the image store %s: %w", s.Root, err)
		}
	}
	return nil
}

// Lock takes the store's lock, exclusive for writers; the function it
// returns releases it.
func (s *Store) Lock(exclusive bool) (func(), error) {
	if err := s.Ensure(); err != nil {
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
	if err := Flock(f, how); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the image store: %w", err)
	}
	return func() { f.Close() }, nil
}

// Flock takes an flock on f, again when a signal interrupts the wait.
func Flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// Index is the store's images.json.
type Index struct {
	Images []*Image `json:"images"`
}

// IndexPath is where the index lives.
func (s *Store) IndexPath() string { return filepath.Join(s.Root, "images.json") }

// ReadIndex reads the index (empty when there is none yet); the caller
// holds the lock.
func (s *Store) ReadIndex() (*Index, error) {
	var ix Index
	b, err := os.ReadFile(s.IndexPath())
	if errors.Is(err, os.ErrNotExist) {
		return &ix, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the image index: %w", err)
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("the image index %s is damaged (%v); remove it and pull again", s.IndexPath(), err)
	}
	return &ix, nil
}

// List returns the stored images.
func (s *Store) List() ([]*Image, error) {
	unlock, err := s.Lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ix, err := s.ReadIndex()
	if err != nil {
		return nil, err
	}
	return ix.Images, nil
}

// ErrNotFound says no stored image matches a reference.
var ErrNotFound = errors.New("image not found in the store")

// Match finds the images ref names: a name (normalized as docker does), an
// image ID (or a prefix of at least 3 hex digits) or a manifest digest.
func Match(ix *Index, ref string) []*Image {
	var out []*Image
	if n, err := NormalizeName(ref); err == nil {
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
	unlock, err := s.Lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.lookup(ref)
}

func (s *Store) lookup(ref string) (*Image, error) {
	ix, err := s.ReadIndex()
	if err != nil {
		return nil, err
	}
	ims := Match(ix, ref)
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

// Use finds the image ref names and marks it in use until the mark is
// released: rmi refuses it meanwhile (unless forced). The mark is a shared
// flock, so a urun that dies, even by SIGKILL, leaves no stale mark; a
// process that inherits Mark.File (a detached run's monitor) holds it on.
func (s *Store) Use(ref string) (im *Image, mark *Mark, err error) {
	unlock, err := s.Lock(false)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	if im, err = s.lookup(ref); err != nil {
		return nil, nil, err
	}
	f, err := s.InUse(im, unix.LOCK_SH)
	if err != nil {
		return nil, nil, err
	}
	return im, &Mark{f: f}, nil
}

// Mark is an image's in-use mark (see Use).
type Mark struct{ f *os.File }

// NewMark wraps the open file of a mark taken elsewhere (the image helper's).
func NewMark(f *os.File) *Mark { return &Mark{f: f} }

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

// InUse takes the in-use lock of an image (its manifest's digest) as how:
// shared for a container's run, exclusive (and not blocking) to remove it.
func (s *Store) InUse(im *Image, how int) (*os.File, error) {
	dir := filepath.Join(s.Root, "inuse")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("marking image %s in use: %w", im.Name, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, strings.TrimPrefix(im.Manifest, "sha256:")), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("marking image %s in use: %w", im.Name, err)
	}
	if err := Flock(f, how); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// runConfig is the part of an image config (the OCI image spec's) that a
// run uses as its defaults.
type runConfig struct {
	Config struct {
		Entrypoint   []string            `json:"Entrypoint"`
		Cmd          []string            `json:"Cmd"`
		Env          []string            `json:"Env"`
		WorkingDir   string              `json:"WorkingDir"`
		User         string              `json:"User"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
	} `json:"config"`
}

// Resolve finds the image of `urun run REF` and marks it in use: its layer
// directories and run defaults, and the mark, which the caller keeps as long
// as the container lives. ErrNotFound when the store has no such image.
func (s *Store) Resolve(ref string) (*imageproto.Resolved, *Mark, error) {
	im, mark, err := s.Use(ref)
	if err != nil {
		return nil, nil, err
	}
	res, err := s.resolved(im)
	if err != nil {
		mark.Release()
		return nil, nil, err
	}
	return res, mark, nil
}

func (s *Store) resolved(im *Image) (*imageproto.Resolved, error) {
	b, err := os.ReadFile(s.BlobPath(im.ID))
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s: %w", im.Name, err)
	}
	var cfg runConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("the config of %s in the store is damaged (%v); pull it again", im.Name, err)
	}
	if len(im.Layers) == 0 {
		return nil, fmt.Errorf("image %s has no layers; nothing to run", im.Name)
	}
	c := cfg.Config
	res := &imageproto.Resolved{
		Layers:     s.LayerDirs(im),
		Entrypoint: c.Entrypoint,
		Cmd:        c.Cmd,
		Env:        c.Env,
		WorkingDir: c.WorkingDir,
		User:       c.User,
	}
	for p := range c.ExposedPorts {
		res.ExposedPorts = append(res.ExposedPorts, p)
	}
	sort.Strings(res.ExposedPorts)
	return res, nil
}

// ResolveStored answers `urun run IMAGE` from the store alone: the image
// and its mark, or needPull when req's policy asks for a pull first (always,
// or missing and not stored). Errors are the one line for the user.
func ResolveStored(root string, req imageproto.Request) (res *imageproto.Resolved, mark *Mark, needPull bool, err error) {
	ref := req.Ref
	if _, err := NormalizeName(ref); err != nil {
		return nil, nil, false, fmt.Errorf("%q is neither a directory nor an image reference (%v); give a rootfs directory (./DIR) or an image such as busybox", ref, err)
	}
	if req.Pull == "always" {
		return nil, nil, true, nil
	}
	s := &Store{Root: root}
	res, mark, err = s.Resolve(ref)
	switch {
	case errors.Is(err, ErrNotFound) && req.Pull == "missing":
		return nil, nil, true, nil
	case errors.Is(err, ErrNotFound):
		return nil, nil, false, fmt.Errorf("image %s is not in the store and --pull=never; pull it first (urun pull %s)", ref, ref)
	}
	return res, mark, false, err
}

// ShortID is the 12 hex digits of a digest that `urun images` shows.
func ShortID(digest string) string {
	h := strings.TrimPrefix(digest, "sha256:")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}
