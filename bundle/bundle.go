package bundle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/idmap"
)

// maxConfigSize bounds config.json: engines write a few kilobytes, and a
// runaway file should not be read whole into memory.
const maxConfigSize = 16 << 20

// Bundle is a loaded, checked bundle.
type Bundle struct {
	Dir    string      // the bundle directory, absolute
	Rootfs string      // root.path, absolute (Spec.Root.Path is set to it too)
	Spec   *specs.Spec // the config, as checked
}

// Options are what the checks need to know of the caller.
type Options struct {
	// Debug receives one line for each field urun ignores; nil drops them.
	Debug func(format string, args ...any)
	// Rootless is true when urun runs as an unprivileged user: mappings
	// must then be covered by the user's own id and subordinate ranges.
	Rootless bool
	// UID and GID are the caller's ids (host side), used when Rootless.
	UID, GID uint32
	// SubUIDs and SubGIDs are the caller's subordinate ranges; used when
	// Rootless (read from /etc/subuid and /etc/subgid by the caller, see
	// idmap.ReadRanges).
	SubUIDs, SubGIDs []idmap.Range
	// NSType returns the type of the namespace file at path; nil uses
	// NamespaceType (the NS_GET_NSTYPE ioctl).
	NSType func(path string) (specs.LinuxNamespaceType, error)
}

// Load reads dir/config.json, makes root.path absolute against dir, checks the
// root exists and is a directory, and checks the config with Check.
func Load(dir string, o Options) (*Bundle, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	if st, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("bundle %s: %w: give the directory that holds config.json", dir, pathErr(err))
	} else if !st.IsDir() {
		return nil, fmt.Errorf("bundle %s is not a directory: give the directory that holds config.json", dir)
	}
	name := filepath.Join(abs, ConfigName)
	b, err := readConfig(name)
	if err != nil {
		return nil, err
	}
	s, err := ParseConfig(name, b)
	if err != nil {
		return nil, err
	}
	if s.Root == nil || s.Root.Path == "" {
		return nil, fmt.Errorf("%s: root.path is missing: name the bundle's root file system (usually \"rootfs\")", name)
	}
	root := s.Root.Path
	if !filepath.IsAbs(root) {
		root = filepath.Join(abs, root)
	}
	root = filepath.Clean(root)
	if st, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("%s: root.path %s: %w", name, root, pathErr(err))
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s: root.path %s is not a directory", name, root)
	}
	s.Root.Path = root
	if err := Check(s, o); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Bundle{Dir: abs, Rootfs: root, Spec: s}, nil
}

func readConfig(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("bundle config %s: %w", name, pathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("bundle config %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("bundle config %s is not a regular file", name)
	}
	if st.Size() > maxConfigSize {
		return nil, fmt.Errorf("bundle config %s is %d bytes: at most %d are read", name, st.Size(), maxConfigSize)
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("bundle config %s: %w", name, err)
	}
	return b, nil
}

// pathErr drops the path from a *PathError (the message already names it).
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
