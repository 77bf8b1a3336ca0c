package bundle

import (
	"os"
	"os/user"
	"strconv"

	"github.com/urun-dev/urun/idmap"
)

// HostOptions fills Options for the calling process: rootless when its
// effective uid is not 0, with its ids and its /etc/subuid and /etc/subgid
// ranges. Root (of the host, or of an engine's user namespace, as rootless
// podman calls its runtime) may map any id it has; the kernel is the judge
// of those, not this check.
func HostOptions() (Options, error) {
	uid, gid := os.Geteuid(), os.Getegid()
	o := Options{Rootless: uid != 0, UID: uint32(uid), GID: uint32(gid)}
	if !o.Rootless {
		return o, nil
	}
	name := strconv.Itoa(uid)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	var err error
	if o.SubUIDs, err = idmap.ReadRanges("/etc/subuid", name, uid); err != nil {
		return o, err
	}
	if o.SubGIDs, err = idmap.ReadRanges("/etc/subgid", name, uid); err != nil {
		return o, err
	}
	return o, nil
}
