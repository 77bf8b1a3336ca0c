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

// parseOptions splits OCI mount options into mount flags and file system data.
func parseOptions(opts []string) (flags uintptr, data string) {
	for _, o := range opts {
		if f, ok := flagOptions[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			continue
		}
		if data != "" {
			data += ","
		}
		data += o
	}
	return flags, data
}
