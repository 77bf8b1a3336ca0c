package container

import (
	"errors"
	"fmt"
	"os"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
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
	wd, err := securejoin.SecureJoin(root, s.Process.Cwd)
	if err == nil {
		st, err = os.Stat(wd)
	}
	// A missing work directory is created by the init stage (docker's
	// behaviour); a directory of a subordinate id may be closed to the host
	// user but open to container root: the init stage checks it again from
	// inside.
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return nil
	}
	if err != nil || !st.IsDir() {
		return fmt.Errorf("workdir %s is not a directory in the rootfs %s; remove what is there or choose another with -w", s.Process.Cwd, root)
	}
	return nil
}
