package bundle

import (
	"errors"
	"fmt"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// mountTypes are the file systems urun's mount package mounts.
var mountTypes = map[string]bool{
	"bind": true, "proc": true, "tmpfs": true, "devpts": true, "mqueue": true,
	"sysfs": true, "cgroup": true, "cgroup2": true,
}

// flagOptions are the mount(2) flags and propagation options that package
// mount applies (mount/options.go), plus their no-op opposites that
// engines write (runc's list).
var flagOptions = map[string]bool{
	"ro": true, "rw": true, "nosuid": true, "suid": true, "nodev": true, "dev": true,
	"noexec": true, "exec": true, "bind": true, "rbind": true, "strictatime": true,
	"relatime": true, "noatime": true, "nodiratime": true, "atime": true,
	"diratime": true, "norelatime": true, "nostrictatime": true,
	"private": true, "rprivate": true, "shared": true, "rshared": true,
	"slave": true, "rslave": true, "unbindable": true, "runbindable": true,
}

// dataOptions are the file system options (passed as mount data) urun
// accepts for each type, as engines write them.
var dataOptions = map[string]map[string]bool{
	"tmpfs":   {"size": true, "mode": true, "uid": true, "gid": true, "nr_inodes": true, "nr_blocks": true, "huge": true},
	"devpts":  {"newinstance": true, "ptmxmode": true, "mode": true, "gid": true, "uid": true, "max": true},
	"proc":    {"hidepid": true, "subset": true, "gid": true},
	"mqueue":  {},
	"sysfs":   {},
	"cgroup":  {},
	"cgroup2": {"nsdelegate": true, "memory_recursiveprot": true},
	// MS_BIND ignores the data: engines and runtime-tools give binds the
	// options of their tmpfs mounts, which runc and crun accept.
	"bind": {"mode": true, "size": true, "uid": true, "gid": true, "nr_inodes": true},
}

// checkMount refuses a mount urun would not make as asked.
func checkMount(m specs.Mount) error {
	if m.Destination == "" || !path.IsAbs(m.Destination) {
		return fmt.Errorf("destination %q is not an absolute path: give one", oneLine(m.Destination))
	}
	typ := m.Type
	bind := typ == "bind"
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			bind = true
		}
	}
	if typ == "" {
		if !bind {
			return errors.New("no type given: set \"type\" (bind, proc, tmpfs, devpts, mqueue, sysfs, cgroup, cgroup2)")
		}
		typ = "bind"
	}
	if !mountTypes[typ] && !bind {
		return fmt.Errorf("mount type %q is not supported: urun mounts bind, proc, tmpfs, devpts, mqueue, sysfs, cgroup and cgroup2", oneLine(typ))
	}
	if bind {
		// A "none" or other type with a bind option is a bind mount:
		// the kernel ignores the type then.
		typ = "bind"
		if m.Source == "" {
			return errors.New("a bind mount needs a source: set \"source\"")
		}
	}
	for _, o := range m.Options {
		if flagOptions[o] {
			continue
		}
		key, _, _ := strings.Cut(o, "=")
		if dataOptions[typ][key] {
			continue
		}
		return fmt.Errorf("mount option %q is not supported on a %s mount: remove it", oneLine(o), typ)
	}
	return nil
}
