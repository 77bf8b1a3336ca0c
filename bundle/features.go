package bundle

import (
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// MountOptions lists the mount flag and propagation options Check accepts on
// every mount type, sorted: the features' mountOptions. File system data
// options (size=, mode= ...) are per type and not listed.
func MountOptions() []string {
	out := make([]string, 0, len(flagOptions))
	for o := range flagOptions {
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}

// Namespaces lists the namespace types Check accepts, in the spec's order.
func Namespaces() []string {
	var out []string
	for _, t := range []string{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"} {
		if nsTypes[specs.LinuxNamespaceType(t)] {
			out = append(out, t)
		}
	}
	return out
}
