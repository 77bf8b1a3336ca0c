package idmap

import (
	"os"

	"github.com/urun-dev/urun/internal/hostbin"
)

// Explicit plans maps given as they are, such as an OCI config's
// uidMappings and gidMappings (checked by the caller: sizes, overlaps, and
// for a user their subordinate ranges). Root writes them itself; a user
// writes a map of only their own id itself (the kernel allows that one
// line), and any other through newuidmap/newgidmap, which check it against
// /etc/subuid and /etc/subgid again as root.
func Explicit(uid, gid []Mapping) (*Maps, error) {
	m := &Maps{
		UID: Map{Lines: uid, k: uidKind, file: SubUIDFile},
		GID: Map{Lines: gid, k: gidKind, file: SubGIDFile},
	}
	if os.Geteuid() == 0 {
		return m, nil
	}
	for _, x := range []struct {
		m   *Map
		own int
	}{{&m.UID, os.Getuid()}, {&m.GID, os.Getgid()}} {
		if len(x.m.Lines) == 1 && x.m.Lines[0].HostID == uint32(x.own) && x.m.Lines[0].Size == 1 {
			continue
		}
		helper, err := hostbin.Find(x.m.k.helper)
		if err != nil {
			return nil, errHelperMissing(x.m.k.helper)
		}
		x.m.helper = helper
	}
	return m, nil
}

type errHelperMissing string

func (e errHelperMissing) Error() string {
	return "the id mappings need " + string(e) + ", which is not installed: install the uidmap package, or map only your own id"
}
