package state

import (
	"fmt"
	"os"
	"path/filepath"
)

// Dir is the scratch directory of one run.
type Dir struct {
	Path    string
	removed bool
}

// Create makes the scratch directory "scratch" in the container's directory.
func Create(containerDir string) (*Dir, error) {
	p := filepath.Join(containerDir, "scratch")
	if err := os.Mkdir(p, 0o700); err != nil {
		return nil, fmt.Errorf("creating the run directory %s: %w", p, err)
	}
	return &Dir{Path: p}, nil
}

// Remove deletes the directory; safe to call more than once.
func (d *Dir) Remove() error {
	if d == nil || d.removed {
		return nil
	}
	if err := os.RemoveAll(d.Path); err != nil {
		return fmt.Errorf("removing the run directory: %w", err)
	}
	d.removed = true
	return nil
}
