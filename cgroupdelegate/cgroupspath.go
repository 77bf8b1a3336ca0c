package cgroupdelegate

import (
	"fmt"
	"strings"
)

// ParseSystemdPath parses an OCI linux.cgroupsPath in the systemd form
// "slice:prefix:name" that engines pass with --systemd-cgroup (runc's and
// crun's reading): the container's scope is "prefix-name.scope" (or
// "name.scope" without a prefix) in slice ("" leaves the manager's default
// slice). A name that is itself a slice is refused: urun always makes a
// scope, whose cgroup it delegates.
func ParseSystemdPath(p string) (slice, unit string, err error) {
	parts := strings.Split(p, ":")
	if len(parts) != 3 {
		return "", "", fmt.Errorf("cgroupsPath %q is not slice:prefix:name (the form --systemd-cgroup takes)", oneLine(p))
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	for _, s := range parts {
		if strings.ContainsAny(s, "/\\ \t\n") || len(s) > 200 {
			return "", "", fmt.Errorf("cgroupsPath %q: a part holds a slash, a space or is too long: give unit names", oneLine(p))
		}
	}
	if slice != "" && !strings.HasSuffix(slice, ".slice") {
		return "", "", fmt.Errorf("cgroupsPath %q: %q is not a slice name (it must end in .slice)", oneLine(p), slice)
	}
	if name == "" {
		return "", "", fmt.Errorf("cgroupsPath %q: the name is empty", oneLine(p))
	}
	if strings.HasSuffix(name, ".slice") {
		return "", "", fmt.Errorf("cgroupsPath %q: the name %q is a slice; urun puts each container in a scope of its own: give a scope name", oneLine(p), name)
	}
	name = strings.TrimSuffix(name, ".scope")
	if prefix != "" {
		name = prefix + "-" + name
	}
	return slice, name + ".scope", nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
