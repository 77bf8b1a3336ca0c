package spec

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// CapNames are the capabilities by number (capability(7)).
var CapNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// capAll is the --cap-add/--cap-drop value for every capability.
const capAll = "ALL"

// AllCaps lists every capability the running kernel has and urun knows:
// --privileged's set and --cap-add ALL.
func AllCaps() []string {
	last := len(CapNames) - 1
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n < last {
			last = n
		}
	}
	return append([]string(nil), CapNames[:last+1]...)
}

// ParseCaps normalises --cap-add or --cap-drop values as podman does: names
// with or without CAP_, in any case, comma-separated lists, and ALL.
func ParseCaps(flag string, values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			n := strings.ToUpper(strings.TrimSpace(c))
			if n == capAll {
				out = appendUnique(out, n)
				continue
			}
			if !strings.HasPrefix(n, "CAP_") {
				n = "CAP_" + n
			}
			if !knownCap(n) {
				return nil, fmt.Errorf("bad %s %q: unknown capability; use a name from capabilities(7) such as NET_RAW or SYS_PTRACE, or ALL", flag, c)
			}
			out = appendUnique(out, n)
		}
	}
	return out, nil
}

func knownCap(n string) bool {
	for _, c := range CapNames {
		if c == n {
			return true
		}
	}
	return false
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func has(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// MergeCaps applies normalised --cap-add and --cap-drop lists to base, with
// containers/common's MergeCapabilities rules: --cap-drop ALL keeps only the
// added ones, --cap-add ALL starts from every capability, and one capability
// both added and dropped is an error.
func MergeCaps(base, add, drop []string) ([]string, error) {
	if has(drop, capAll) {
		if has(add, capAll) {
			return nil, fmt.Errorf("--cap-add ALL and --cap-drop ALL contradict each other; give one of them")
		}
		return sorted(add), nil
	}
	if has(add, capAll) {
		base, add = AllCaps(), nil
	}
	for _, c := range drop {
		if has(add, c) {
			return nil, fmt.Errorf("capability %s is both added and dropped; give it to --cap-add or --cap-drop, not both", c)
		}
	}
	var caps []string
	for _, c := range base {
		if !has(drop, c) {
			caps = appendUnique(caps, c)
		}
	}
	for _, c := range add {
		caps = appendUnique(caps, c)
	}
	return sorted(caps), nil
}

func sorted(s []string) []string {
	s = append([]string{}, s...)
	sort.Strings(s)
	return s
}
