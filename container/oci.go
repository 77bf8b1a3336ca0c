package container

import (
	"github.com/urun-dev/urun/cgroupdelegate"
)

// ociCgroup settles the cgroup side of an engine's config (Config.OCI):
// the scope's name and slice from linux.cgroupsPath, and what to do with
// limits on a host that cannot hold them. Without OCI it changes nothing:
// urun's own runs keep refusing limits they cannot apply.
func (r *run) ociCgroup() error {
	c := r.c
	r.scopeUnit = "urun-" + c.ID + ".scope"
	if !c.OCI {
		return nil
	}
	if p := c.Spec.Linux.CgroupsPath; p != "" {
		if c.SystemdCgroup {
			slice, unit, err := cgroupdelegate.ParseSystemdPath(p)
			if err != nil {
				return err
			}
			r.scopeSlice, r.scopeUnit = slice, unit
		} else {
			// A cgroupfs path would be a directory in the host's
			// /sys/fs/cgroup, which urun never writes: its scopes come
			// from systemd.
			r.logf("ignoring linux.cgroupsPath %q: urun's cgroups come from systemd (pass --systemd-cgroup with slice:prefix:name)", p)
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
