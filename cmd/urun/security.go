package main

import (
	"github.com/urun-dev/urun/spec"
)

// SecurityFlags narrow or widen what the container's processes may do:
// capabilities, seccomp, no_new_privs, sysctls, rlimits.
type SecurityFlags struct {
	SecurityOpt []string `name:"security-opt" sep:"none" help:"Security options as podman's: seccomp=unconfined, seccomp=PROFILE.json (docker's profile format), no-new-privileges; label=... and apparmor=... are accepted and ignored (no SELinux or AppArmor here). Repeatable." placeholder:"OPT"`
}

func (f *SecurityFlags) apply(o *runOptions) error {
	so, err := spec.ParseSecurityOpts(f.SecurityOpt)
	if err != nil {
		return err
	}
	o.Security = so
	return nil
}
