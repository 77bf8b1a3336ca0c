package mount

import "golang.org/x/sys/unix"

// flagOptions maps the OCI mount options that are mount(2) flags. Options not
// listed here are passed to the file system as data.
var flagOptions = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro":          {false, unix.MS_RDONLY},
	"rw":          {true, unix.MS_RDONLY},
	"nosuid":      {false, unix.MS_NOSUID},
	"suid":        {true, unix.MS_NOSUID},
	"nodev":       {false, unix.MS_NODEV},
	"dev":         {true, unix.MS_NODEV},
	"noexec":      {false, unix.MS_NOEXEC},
	"exec":        {true, unix.MS_NOEXEC},
	"bind":        {false, unix.MS_BIND},
	"rbind":       {false, unix.MS_BIND | unix.MS_REC},
	"strictatime": {false, unix.MS_STRICTATIME},
	"relatime":    {false, unix.MS_RELATIME},
	"noatime":     {false, unix.MS_NOATIME},
	"nodiratime":  {false, unix.MS_NODIRATIME},
}

// propagationOptions are the OCI propagation options: the propagation type
// and whether it applies to submounts too.
var propagationOptions = map[string]struct {
	prop      uint64
	recursive bool
}{
	"private": {unix.MS_PRIVATE, false}, "rprivate": {unix.MS_PRIVATE, true},
	"shared": {unix.MS_SHARED, false}, "rshared": {unix.MS_SHARED, true},
	"slave": {unix.MS_SLAVE, false}, "rslave": {unix.MS_SLAVE, true},
	"unbindable": {unix.MS_UNBINDABLE, false}, "runbindable": {unix.MS_UNBINDABLE, true},
}

// ChownOption is urun's own option on a bind mount (podman's `:U`): chown
// the source recursively to the container process's user before mounting.
// It is not a mount flag and never reaches the kernel.
const ChownOption = "U"

// options are the parsed OCI mount options.
type options struct {
	flags       uintptr // mount(2) flags
	data        string  // file system options
	propagation uint64
	recProp     bool
	chown       bool
}

// parseOptions splits OCI mount options into mount flags, propagation and
// file system data.
func parseOptions(opts []string) options {
	var o options
	for _, s := range opts {
		if f, ok := flagOptions[s]; ok {
			if f.clear {
				o.flags &^= f.flag
			} else {
				o.flags |= f.flag
			}
			continue
		}
		if p, ok := propagationOptions[s]; ok {
			o.propagation, o.recProp = p.prop, p.recursive
			continue
		}
		if s == ChownOption {
			o.chown = true
			continue
		}
		if o.data != "" {
			o.data += ","
		}
		o.data += s
	}
	return o
}
