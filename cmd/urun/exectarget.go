package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/spec"
)

// target is the running container exec joins.
type target struct {
	PID        int
	CgroupPath string
	Spec       *specs.Spec
}

// execTarget finds the container ref names. pid (the hidden --pid) names
// PID 1 directly, with urun's default spec for a container of that root.
func execTarget(ref string, pid int) (*target, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("no such container: %s", ref)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		return nil, errors.New("container " + ref + " is not running")
	}
	netNS := false
	if a, err := os.Readlink("/proc/self/ns/net"); err == nil {
		if b, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net"); err == nil {
			netNS = a != b
		}
	}
	sp, err := spec.New(spec.Options{Rootfs: "/proc/" + strconv.Itoa(pid) + "/root", Args: []string{"/bin/sh"}, Workdir: "/", NetNS: netNS})
	if err != nil {
		return nil, err
	}
	return &target{PID: pid, Spec: sp}, nil
}
