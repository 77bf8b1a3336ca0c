package spec

import (
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/usergroup"
)

// User namespace modes of --userns.
const (
	UserNSHost   = "host"    // container root is the user (urun's default)
	UserNSKeepID = "keep-id" // the user's ids are the same inside as outside
)

// AnnotationUserNS carries --userns in the spec, for the runtime that plans
// the id maps.
const AnnotationUserNS = "run.urun.userns"

// ProcessOptions say who runs the command and with what privileges.
type ProcessOptions struct {
	// User is the -u value; "" is root, or the user's own ids with keep-id.
	User     string
	GroupAdd []string
	// UserNS is "", UserNSHost or UserNSKeepID.
	UserNS string
	// CapAdd and CapDrop are normalised (ParseCaps).
	CapAdd, CapDrop []string
	Privileged      bool
	Sysctls         map[string]string
	Rlimits         []specs.POSIXRlimit
}

// ParseUserNS checks a --userns value.
func ParseUserNS(v string) (string, error) {
	switch v {
	case "", UserNSHost, UserNSKeepID:
		return v, nil
	}
	return "", fmt.Errorf("bad --userns %q: urun supports keep-id (your ids inside are your ids outside) and host (container root is you, the default)", v)
}

// processPart fills in who runs the command and with what: the user and
// groups (resolved in the rootfs), HOME and USER, capabilities, no_new_privs,
// rlimits and sysctls.
func processPart(s *specs.Spec, o Options) error {
	p := o.Process
	u, err := resolveUser(o)
	if err != nil {
		return err
	}
	s.Process.User = specs.User{UID: u.UID, GID: u.GID, AdditionalGids: u.AdditionalGids}
	base := []string{"HOME=" + u.Home}
	if u.Name != "" {
		base = append(base, "USER="+u.Name)
	}
	// Explicit -e values still win.
	s.Process.Env = MergeEnv(s.Process.Env, removeSet(base, o.Env))

	if p.UserNS != "" {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[AnnotationUserNS] = p.UserNS
	}

	caps := DefaultCaps
	if p.Privileged {
		caps = AllCaps()
	}
	if caps, err = MergeCaps(caps, p.CapAdd, p.CapDrop); err != nil {
		return err
	}
	c := &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	if u.UID != 0 {
		// docker and podman: a user other than root runs with no
		// capabilities except those added by name, which become ambient so
		// they survive the exec; the bounding set still limits what a setuid
		// program (sudo) can gain.
		var add []string
		if has(p.CapAdd, capAll) {
			add = caps
		} else {
			for _, c := range p.CapAdd {
				if has(caps, c) {
					add = append(add, c)
				}
			}
		}
		add = sorted(add)
		c.Effective, c.Permitted, c.Inheritable, c.Ambient = add, add, add, add
	}
	s.Process.Capabilities = c
	s.Process.NoNewPrivileges = o.Security.NoNewPrivileges
	if p.Privileged {
		// Still rootless, but nothing hidden and nothing read-only beyond
		// what the kernel itself refuses.
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	}

	if err := CheckRlimits(p.Rlimits); err != nil {
		return err
	}
	s.Process.Rlimits = p.Rlimits

	sysctls := map[string]string{}
	if o.NetNS {
		for k, v := range DefaultSysctls {
			sysctls[k] = v
		}
	}
	for k, v := range p.Sysctls {
		if ns, _ := SysctlNamespace(k); ns == "net" && !o.NetNS {
			return fmt.Errorf("--sysctl %s needs a network namespace of the container's own, which --network host does not give", k)
		}
		sysctls[k] = v
	}
	// kernel.hostname is the UTS namespace's hostname, which the init
	// stage sets after the sysctls: carry it as the hostname instead.
	if h, ok := sysctls["kernel.hostname"]; ok {
		if s.Hostname, err = ParseHostname(h); err != nil {
			return err
		}
		delete(sysctls, "kernel.hostname")
	}
	if len(sysctls) > 0 {
		s.Linux.Sysctl = sysctls
	}
	return nil
}

// resolveUser finds the container user: -u resolved in the rootfs, the
// caller's own ids with keep-id, else root.
func resolveUser(o Options) (*usergroup.User, error) {
	p := o.Process
	if o.UserRoot != "" {
		o.Rootfs = o.UserRoot
	}
	if st, err := os.Stat(o.Rootfs); err != nil || !st.IsDir() {
		// Nothing to look users up in: the runtime's validation says what
		// is wrong with the rootfs, in the same words as without -u.
		return &usergroup.User{Home: "/root"}, nil
	}
	switch {
	case p.User != "":
		return usergroup.Resolve(o.Rootfs, p.User, p.GroupAdd)
	case p.UserNS == UserNSKeepID:
		u, err := usergroup.ResolveID(o.Rootfs, uint32(os.Getuid()), uint32(os.Getgid()))
		if err != nil {
			return nil, err
		}
		if len(p.GroupAdd) > 0 {
			g, err := usergroup.Resolve(o.Rootfs, "0", p.GroupAdd)
			if err != nil {
				return nil, err
			}
			u.AdditionalGids = g.AdditionalGids
		}
		return u, nil
	case len(p.GroupAdd) > 0:
		return usergroup.Resolve(o.Rootfs, "0", p.GroupAdd)
	}
	// Root: today's default, without reading the rootfs.
	return &usergroup.User{Home: "/root"}, nil
}

// removeSet drops from base the variables the user set with -e.
func removeSet(base, set []string) []string {
	var out []string
	for _, b := range base {
		k, _, _ := strings.Cut(b, "=")
		explicit := false
		for _, e := range set {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				explicit = true
			}
		}
		if !explicit {
			out = append(out, b)
		}
	}
	return out
}
