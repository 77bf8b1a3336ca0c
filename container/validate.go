package container

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/spec"
	"golang.org/x/sys/unix"
)

// Validate checks what can be checked on the host before anything starts, so
// that bad input costs nothing to undo: the rootfs, the command (when it is the
// default shell) and the work directory.
func Validate(s *specs.Spec, defaultCmd bool) error {
	root := s.Root.Path
	st, err := os.Stat(root)
	switch {
	case os.IsNotExist(err):
		return fmt.Errorf("rootfs %s does not exist; make one with `make rootfs` or hack/mkrootfs.sh DIR", root)
	case err != nil:
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("rootfs %s cannot be used: %w", root, err)
	case !st.IsDir():
		return fmt.Errorf("rootfs %s is not a directory; give the directory that holds the container's /bin and /etc", root)
	}
	if len(s.Process.Args) == 0 || s.Process.Args[0] == "" {
		return fmt.Errorf("the command is empty; give the program to run, such as /bin/sh")
	}
	if defaultCmd {
		sh, err := securejoin.SecureJoin(root, "/bin/sh")
		if err == nil {
			_, err = os.Stat(sh)
		}
		if err != nil && !errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("rootfs %s has no /bin/sh to run by default; give a command, or use a rootfs with a shell (make rootfs)", root)
		}
	}
	if err := validateMounts(s); err != nil {
		return err
	}
	wd, err := securejoin.SecureJoin(root, s.Process.Cwd)
	if err == nil {
		st, err = os.Stat(wd)
	}
	// A directory of a subordinate id may be closed to the host user but
	// open to container root: the init stage checks it again from inside.
	if errors.Is(err, os.ErrPermission) {
		return nil
	}
	if err != nil || !st.IsDir() {
		return fmt.Errorf("workdir %s is not a directory in the rootfs %s; create it there or choose another with -w", s.Process.Cwd, root)
	}
	return nil
}

// validateMounts checks the host side of the user's bind mounts: the source
// exists (podman does not create it), the user can read it, and `:U` is
// given only on what the user owns (the container user becomes its owner).
func validateMounts(s *specs.Spec) error {
	for _, m := range s.Mounts {
		if m.Type != "bind" {
			continue
		}
		st, err := os.Stat(m.Source)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("volume source %s does not exist; create it first (urun does not create volume sources)", m.Source)
		case err != nil:
			return fmt.Errorf("volume source %s cannot be used: %w", m.Source, unwrapPath(err))
		}
		mode := uint32(unix.R_OK)
		if st.IsDir() {
			mode |= unix.X_OK
		}
		if err := unix.Access(m.Source, mode); err != nil {
			return fmt.Errorf("volume source %s cannot be read by you (%v); fix its permissions or choose another", m.Source, err)
		}
		if slices.Contains(m.Options, spec.ChownOption) {
			if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
				return fmt.Errorf("volume source %s belongs to uid %d, not to you: :U (chown to the container user) works only on your own files", m.Source, uid)
			}
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
