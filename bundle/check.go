package bundle

import (
	"errors"
	"fmt"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/spec"
)

// Check refuses what urun cannot honour in s, and reports (o.Debug) what it
// ignores. The order is the config's, so the first problem is the first
// reported.
func Check(s *specs.Spec, o Options) error {
	ignored(s, o)
	if s.Process != nil {
		if err := checkProcess(s.Process); err != nil {
			return err
		}
	}
	for i, m := range s.Mounts {
		if err := checkMount(m); err != nil {
			return fmt.Errorf("mounts[%d] (%s): %w", i, oneLine(m.Destination), err)
		}
	}
	if s.Linux == nil {
		return nil
	}
	userns, err := checkNamespaces(s.Linux.Namespaces, o)
	if err != nil {
		return err
	}
	return checkMappings(s.Linux, userns, o)
}

// ignored names the fields that cannot apply on this host and are ignored,
// as crun does on a host without the matching security module.
func ignored(s *specs.Spec, o Options) {
	debug := o.Debug
	if debug == nil {
		debug = func(string, ...any) {}
	}
	if p := s.Process; p != nil {
		if p.ApparmorProfile != "" {
			debug("ignoring process.apparmorProfile %q: urun has no AppArmor support", oneLine(p.ApparmorProfile))
		}
		if p.SelinuxLabel != "" {
			debug("ignoring process.selinuxLabel %q: urun has no SELinux support", oneLine(p.SelinuxLabel))
		}
	}
	if l := s.Linux; l != nil {
		if l.MountLabel != "" {
			debug("ignoring linux.mountLabel %q: urun has no SELinux support", oneLine(l.MountLabel))
		}
		if l.IntelRdt != nil {
			debug("ignoring linux.intelRdt: urun does not manage resctrl")
		}
	}
	if s.Windows != nil {
		debug("ignoring the windows section: urun runs Linux containers")
	}
	if s.Solaris != nil {
		debug("ignoring the solaris section: urun runs Linux containers")
	}
	if s.VM != nil {
		debug("ignoring the vm section: urun runs containers, not virtual machines")
	}
	if s.ZOS != nil {
		debug("ignoring the zos section: urun runs Linux containers")
	}
}

func checkProcess(p *specs.Process) error {
	if len(p.Args) == 0 && p.CommandLine == "" {
		return errors.New("process.args is empty: name the command to run")
	}
	if p.Cwd == "" || !path.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd %q is not an absolute path: give one, e.g. \"/\"", oneLine(p.Cwd))
	}
	seen := map[string]bool{}
	for i, r := range p.Rlimits {
		where := fmt.Sprintf("process.rlimits[%d]", i)
		if _, ok := spec.RlimitResource(r.Type); !ok {
			return fmt.Errorf("%s: unknown rlimit %q: use one of RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_CORE ... (getrlimit(2))", where, oneLine(r.Type))
		}
		if seen[r.Type] {
			return fmt.Errorf("%s: %s is given twice: keep one", where, r.Type)
		}
		seen[r.Type] = true
		if r.Soft > r.Hard {
			return fmt.Errorf("%s: %s soft limit %d is above its hard limit %d: lower it", where, r.Type, r.Soft, r.Hard)
		}
	}
	if p.OOMScoreAdj != nil && (*p.OOMScoreAdj < -1000 || *p.OOMScoreAdj > 1000) {
		return fmt.Errorf("process.oomScoreAdj %d is out of range: give -1000 to 1000", *p.OOMScoreAdj)
	}
	return nil
}

// nsTypes are the namespaces urun can give a container.
var nsTypes = map[specs.LinuxNamespaceType]bool{
	specs.PIDNamespace: true, specs.NetworkNamespace: true, specs.MountNamespace: true,
	specs.IPCNamespace: true, specs.UTSNamespace: true, specs.UserNamespace: true,
	specs.CgroupNamespace: true,
}

// checkNamespaces checks the namespace list; it returns whether the
// container gets a new user namespace of its own (one without a path).
func checkNamespaces(ns []specs.LinuxNamespace, o Options) (newUserNS bool, err error) {
	seen := map[specs.LinuxNamespaceType]bool{}
	nsType := o.NSType
	if nsType == nil {
		nsType = NamespaceType
	}
	for i, n := range ns {
		where := fmt.Sprintf("linux.namespaces[%d]", i)
		if n.Type == specs.TimeNamespace {
			// CLONE_NEWTIME only works through unshare in a
			// single-threaded process or clone3, neither of which
			// Go's os/exec reaches.
			return false, fmt.Errorf("%s: urun cannot give a container a time namespace: remove it", where)
		}
		if !nsTypes[n.Type] {
			return false, fmt.Errorf("%s: unknown namespace type %q: use pid, network, mount, ipc, uts, user or cgroup", where, oneLine(string(n.Type)))
		}
		if seen[n.Type] {
			return false, fmt.Errorf("%s: the %s namespace is listed twice: keep one", where, n.Type)
		}
		seen[n.Type] = true
		if n.Path == "" {
			if n.Type == specs.UserNamespace {
				newUserNS = true
			}
			continue
		}
		if !path.IsAbs(n.Path) {
			return false, fmt.Errorf("%s: path %q is not absolute: give a namespace file such as /proc/PID/ns/%s", where, oneLine(n.Path), nsFile[n.Type])
		}
		got, err := nsType(n.Path)
		if err != nil {
			return false, fmt.Errorf("%s: path %s: %w", where, oneLine(n.Path), err)
		}
		if got != n.Type {
			return false, fmt.Errorf("%s: path %s is a %s namespace, not a %s one", where, oneLine(n.Path), got, n.Type)
		}
	}
	return newUserNS, nil
}

// checkMappings checks the id maps: they need a user namespace of the
// container's own, and rootless every host id must be the user's own or
// among their subordinate ids.
func checkMappings(l *specs.Linux, newUserNS bool, o Options) error {
	if !newUserNS {
		if len(l.UIDMappings) > 0 || len(l.GIDMappings) > 0 {
			return errors.New("linux.uidMappings/gidMappings are given without a new user namespace: add {\"type\": \"user\"} to linux.namespaces or remove the mappings")
		}
		return nil
	}
	if len(l.UIDMappings) == 0 || len(l.GIDMappings) == 0 {
		return errors.New("linux.namespaces asks for a new user namespace but linux.uidMappings or linux.gidMappings is empty: give both maps")
	}
	if err := checkMap("linux.uidMappings", "uid", "/etc/subuid", l.UIDMappings, o.Rootless, o.UID, o.SubUIDs); err != nil {
		return err
	}
	return checkMap("linux.gidMappings", "gid", "/etc/subgid", l.GIDMappings, o.Rootless, o.GID, o.SubGIDs)
}

// nsFile is the /proc/PID/ns name of each type.
var nsFile = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}
