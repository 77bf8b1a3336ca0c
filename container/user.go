package container

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/spec"
)

// planMaps plans the id maps the spec's --userns asks for, and checks that
// the container user and groups are mapped in them: an id outside the maps
// cannot be switched to, and would fail only deep in the init stage.
func planMaps(s *specs.Spec) (*idmap.Maps, error) {
	plan := idmap.PlanFor
	if s.Annotations[spec.AnnotationUserNS] == spec.UserNSKeepID {
		plan = idmap.PlanKeepIDFor
	}
	maps, err := plan()
	if err != nil {
		return nil, err
	}
	u := s.Process.User
	if !idmap.Contains(maps.UID.Lines, u.UID) {
		return nil, fmt.Errorf("user %d is not mapped in the container (uid map %s): with only your own id mapped, run as -u 0 or ask an admin for /etc/subuid ranges", u.UID, idmap.OneLine(maps.UID.Lines))
	}
	for _, g := range append([]uint32{u.GID}, u.AdditionalGids...) {
		if !idmap.Contains(maps.GID.Lines, g) {
			return nil, fmt.Errorf("group %d is not mapped in the container (gid map %s): choose a mapped group or ask an admin for /etc/subgid ranges", g, idmap.OneLine(maps.GID.Lines))
		}
	}
	return maps, nil
}
