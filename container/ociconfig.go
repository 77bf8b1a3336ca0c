package container

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/cgroupdelegate"
)

// ociCgroup settles the cgroup side of an engine's config (Config.OCI set):
// the scope's name and slice from linux.cgroupsPath (urun's own runs: urun-ID.scope), and what to do with
// limits on a host that cannot hold them. Without OCI it changes nothing:
// urun's own runs keep refusing limits they cannot apply.
func (r *run) ociCgroup() error {
	c := r.c
	r.scopeUnit = "urun-" + c.ID + ".scope"
	if c.OCI == nil {
		return nil
	}
	if p := c.Spec.Linux.CgroupsPath; p != "" {
		// urun's cgroups always come from systemd, so the form tells, with
		// or without --systemd-cgroup: "slice:prefix:name" names the
		// scope; a cgroupfs path would be a directory in the host's
		// /sys/fs/cgroup, which urun never writes, and is ignored.
		if strings.Count(p, ":") == 2 && !strings.HasPrefix(p, "/") {
			slice, unit, err := cgroupdelegate.ParseSystemdPath(p)
			if err != nil {
				return fmt.Errorf("linux.%w", err)
			}
			r.scopeSlice, r.scopeUnit = slice, unit
		} else {
			r.logf("ignoring linux.cgroupsPath %q: urun's cgroups come from systemd (give slice:prefix:name)", p)
		}
	}
	if r.limits.Any() {
		if err := cgroupdelegate.Precheck(r.limits); err != nil {
			// crun's rootless behaviour on a host without a usable
			// cgroup: the container runs, without its limits.
			r.notef("warning: ignoring linux.resources: %v", err)
			r.limits = cgroupdelegate.Limits{}
		}
	}
	return nil
}

// specNamespaces are the namespaces the spec lists, never nil: an empty list
// (a config that shares every namespace of its caller) is not the default
// set of userns.StartOptions.
func specNamespaces(s *specs.Spec) []specs.LinuxNamespace {
	if s.Linux == nil || s.Linux.Namespaces == nil {
		return []specs.LinuxNamespace{}
	}
	return s.Linux.Namespaces
}
