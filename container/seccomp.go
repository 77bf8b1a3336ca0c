package container

import (
	"fmt"

	"github.com/urun-dev/urun/seccomp"
)

// compileSeccomp compiles the spec's seccomp profile here, in the host-side
// parent, before anything starts: the init stage is a fresh Go runtime and
// only loads the result, and a profile that cannot be compiled costs nothing
// to undo.
func (r *run) compileSeccomp() error {
	l := r.c.Spec.Linux
	if l == nil || l.Seccomp == nil {
		r.logf("no seccomp filter")
		return nil
	}
	p, err := seccomp.Compile(l.Seccomp)
	if err != nil {
		return fmt.Errorf("compiling the seccomp profile: %w (--security-opt seccomp=unconfined runs without one)", err)
	}
	r.seccomp = p
	r.logf("seccomp filter: %d instructions", p.Len())
	return nil
}
