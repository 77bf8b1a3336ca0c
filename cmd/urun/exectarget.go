package main

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/store"
)

// target is the running container exec joins.
type target struct {
	PID        int
	CgroupPath string
	Spec       *specs.Spec
}

// execTarget finds the container ref names (id, unique id prefix or name)
// in the store and checks that it runs: a pid of a record whose process is
// gone (or was reused) must never be joined.
func execTarget(ref string) (*target, error) {
	st, rec, err := lookup(ref)
	if err != nil {
		return nil, err
	}
	if rec.Status != store.Running || !rec.Alive() {
		return nil, errNotRunning(rec, "exec into")
	}
	sp, err := st.ReadSpec(rec.ID)
	if err != nil {
		return nil, err
	}
	return &target{PID: rec.Pid, CgroupPath: rec.CgroupPath, Spec: sp}, nil
}
