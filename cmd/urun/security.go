package main

import (
	"github.com/urun-dev/urun/spec"
)

// SecurityFlags narrow or widen what the container's processes may do:
// capabilities, seccomp, no_new_privs, sysctls, rlimits.
type SecurityFlags struct {
	SecurityOpt []string `name:"security-opt" sep:"none" help:"Security options as podman's: seccomp=unconfined, seccomp=PROFILE.json (docker's profile format), no-new-privileges; label=... and apparmor=... are accepted and ignored (no SELinux or AppArmor here). Repeatable." placeholder:"OPT"`
	CapAdd      []string `name:"cap-add" sep:"none" help:"Add a capability (NET_RAW or CAP_NET_RAW, any case; ALL for every one). Repeatable." placeholder:"CAP"`
	CapDrop     []string `name:"cap-drop" sep:"none" help:"Drop a capability (or ALL). Repeatable." placeholder:"CAP"`
	Privileged  bool     `help:"Every capability of the container's user namespace, no seccomp filter, nothing masked or read-only in /proc and /sys. Still rootless: no more than you have on the host."`
	Sysctl      []string `name:"sysctl" sep:"none" help:"Set a namespaced sysctl KEY=VALUE (net.*, kernel.msg*/sem/shm*, fs.mqueue.*). Repeatable; net.ipv4.ping_group_range=0 0 is the default, as in podman." placeholder:"KEY=VALUE"`
}

func (f *SecurityFlags) apply(o *runOptions) error {
	so, err := spec.ParseSecurityOpts(f.SecurityOpt)
	if err != nil {
		return err
	}
	o.Security = so
	return f.applyPrivileges(o)
}

// applyPrivileges parses the capability, --privileged and --sysctl flags.
func (f *SecurityFlags) applyPrivileges(o *runOptions) error {
	var err error
	p := &o.Process
	if p.CapAdd, err = spec.ParseCaps("--cap-add", f.CapAdd); err != nil {
		return err
	}
	if p.CapDrop, err = spec.ParseCaps("--cap-drop", f.CapDrop); err != nil {
		return err
	}
	p.Privileged = f.Privileged
	if f.Privileged && o.Security.Seccomp == "" {
		// podman: --privileged runs without a seccomp filter unless a
		// profile is named.
		o.Security.Seccomp = "unconfined"
	}
	p.Sysctls, err = spec.ParseSysctls(f.Sysctl)
	return err
}
