package container

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
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

// stageSpec is the spec as the init stage gets it: without the seccomp
// profile, which the stage never reads (it loads the compiled program), so
// a fresh runtime decodes ~8 KiB less JSON on every start.
func stageSpec(s *specs.Spec) *specs.Spec {
	if s.Linux == nil || s.Linux.Seccomp == nil {
		return s
	}
	c, l := *s, *s.Linux
	l.Seccomp = nil
	c.Linux = &l
	return &c
}
