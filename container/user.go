package container

import (
	"bytes"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/spec"
	"github.com/urun-dev/urun/usergroup"
)

// planMaps plans the id maps the spec's --userns asks for, and checks that
// the container user and groups are mapped in them: an id outside the maps
// cannot be switched to, and would fail only deep in the init stage.
//
// A spec without a new user namespace (root's, or an engine's that runs
// urun as root of its own user namespace) has no maps: nil. A spec with
// uidMappings (an OCI config) has its own, written as they are.
func planMaps(s *specs.Spec) (*idmap.Maps, error) {
	if s.Linux == nil || !spec.NewNamespace(s.Linux.Namespaces, specs.UserNamespace) {
		return nil, nil
	}
	plan := idmap.PlanFor
	if s.Linux != nil && (len(s.Linux.UIDMappings) > 0 || len(s.Linux.GIDMappings) > 0) {
		plan = func() (*idmap.Maps, error) {
			return idmap.Explicit(specMaps(s.Linux.UIDMappings), specMaps(s.Linux.GIDMappings))
		}
	}
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

// keepIDPasswd gives the keep-id user a passwd entry when the rootfs has
// none for it, as podman does, so `id`, `whoami` and shells show a name: a
// copy of the rootfs's /etc/passwd with the entry added is written to the
// run's state directory and bind-mounted over /etc/passwd. The rootfs is
// never written.
func keepIDPasswd(s *specs.Spec, dir string) error {
	if s.Annotations[spec.AnnotationUserNS] != spec.UserNSKeepID {
		return nil
	}
	u := s.Process.User
	if u.UID == 0 {
		return nil
	}
	old, _, err := usergroup.ReadFile(s.Root.Path, "/etc/passwd")
	if err != nil {
		return err
	}
	if usergroup.HasUID(old, u.UID) {
		return nil
	}
	name := strconv.FormatUint(uint64(u.UID), 10)
	if hu, err := user.LookupId(name); err == nil && validName(hu.Username) {
		name = hu.Username
	}
	home := "/"
	for _, e := range s.Process.Env {
		if v, ok := strings.CutPrefix(e, "HOME="); ok && validName(v) {
			home = v
		}
	}
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		old = append(old, '\n')
	}
	entry := fmt.Sprintf("%s:*:%d:%d:%s:%s:/bin/sh\n", name, u.UID, u.GID, name, home)
	p := filepath.Join(dir, "passwd")
	if err := os.WriteFile(p, append(old, entry...), 0o644); err != nil {
		return fmt.Errorf("writing the container's passwd: %w", err)
	}
	// Before the user's mounts, as /etc/hosts: a volume over /etc is not
	// written to.
	spec.AddSystemMounts(s, specs.Mount{Destination: "/etc/passwd", Type: "bind", Source: p, Options: []string{"bind"}})
	return nil
}

// validName keeps a field of a passwd line a field: no separator, newline or
// control character.
func validName(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		if r == ':' || r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// withoutID0 adapts what assumes a container root to maps without id 0
// (keep-id with only the user's own ids): slirp4netns's sandbox needs uid
// and gid 0, and podman's default ping_group_range "0 0" names an unmapped
// group, which the kernel refuses; the user's own group is the one to allow
// instead.
func (r *run) withoutID0(maps *idmap.Maps) {
	s := r.c.Spec
	if maps == nil {
		return
	}
	if !idmap.Contains(maps.UID.Lines, 0) || !idmap.Contains(maps.GID.Lines, 0) {
		r.c.Network.Net.NoSandbox = true
		r.logf("no id 0 in the container: slirp4netns runs without --enable-sandbox")
	}
	const pgr = "net.ipv4.ping_group_range"
	if s.Linux != nil && s.Linux.Sysctl[pgr] == spec.DefaultSysctls[pgr] && !idmap.Contains(maps.GID.Lines, 0) {
		g := s.Process.User.GID
		s.Linux.Sysctl[pgr] = fmt.Sprintf("%d %d", g, g)
	}
}

func specMaps(m []specs.LinuxIDMapping) []idmap.Mapping {
	out := make([]idmap.Mapping, len(m))
	for i, x := range m {
		out[i] = idmap.Mapping{ContainerID: x.ContainerID, HostID: x.HostID, Size: x.Size}
	}
	return out
}
