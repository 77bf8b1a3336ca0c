package spec

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Rlimits maps docker's --ulimit names to the OCI spec's types and the
// kernel's resource numbers.
var Rlimits = map[string]struct {
	Type     string
	Resource int
}{
	"as": {"RLIMIT_AS", unix.RLIMIT_AS}, "core": {"RLIMIT_CORE", unix.RLIMIT_CORE},
	"cpu": {"RLIMIT_CPU", unix.RLIMIT_CPU}, "data": {"RLIMIT_DATA", unix.RLIMIT_DATA},
	"fsize": {"RLIMIT_FSIZE", unix.RLIMIT_FSIZE}, "locks": {"RLIMIT_LOCKS", unix.RLIMIT_LOCKS},
	"memlock": {"RLIMIT_MEMLOCK", unix.RLIMIT_MEMLOCK}, "msgqueue": {"RLIMIT_MSGQUEUE", unix.RLIMIT_MSGQUEUE},
	"nice": {"RLIMIT_NICE", unix.RLIMIT_NICE}, "nofile": {"RLIMIT_NOFILE", unix.RLIMIT_NOFILE},
	"nproc": {"RLIMIT_NPROC", unix.RLIMIT_NPROC}, "rss": {"RLIMIT_RSS", unix.RLIMIT_RSS},
	"rtprio": {"RLIMIT_RTPRIO", unix.RLIMIT_RTPRIO}, "rttime": {"RLIMIT_RTTIME", unix.RLIMIT_RTTIME},
	"sigpending": {"RLIMIT_SIGPENDING", unix.RLIMIT_SIGPENDING}, "stack": {"RLIMIT_STACK", unix.RLIMIT_STACK},
}

// RlimitResource is the kernel's number of an OCI rlimit type.
func RlimitResource(typ string) (int, bool) {
	for _, r := range Rlimits {
		if r.Type == typ {
			return r.Resource, true
		}
	}
	return 0, false
}

// ParseUlimits parses docker's --ulimit NAME=SOFT[:HARD] values (-1 is
// unlimited; SOFT alone sets both). A later value for a name wins.
func ParseUlimits(values []string) ([]specs.POSIXRlimit, error) {
	byType := map[string]specs.POSIXRlimit{}
	for _, v := range values {
		name, lim, ok := strings.Cut(v, "=")
		r, known := Rlimits[strings.ToLower(name)]
		if !ok || !known {
			return nil, fmt.Errorf("bad --ulimit %q: write NAME=SOFT[:HARD] with NAME one of %s", v, strings.Join(rlimitNames(), ", "))
		}
		softS, hardS, hasHard := strings.Cut(lim, ":")
		soft, err1 := parseLimit(softS)
		hard, err2 := soft, error(nil)
		if hasHard {
			hard, err2 = parseLimit(hardS)
		}
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad --ulimit %q: limits are numbers or -1 for unlimited, such as nofile=1024:4096", v)
		}
		if soft > hard {
			return nil, fmt.Errorf("bad --ulimit %q: the soft limit is above the hard limit", v)
		}
		byType[r.Type] = specs.POSIXRlimit{Type: r.Type, Soft: soft, Hard: hard}
	}
	var out []specs.POSIXRlimit
	for _, r := range byType {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out, nil
}

func parseLimit(s string) (uint64, error) {
	if s == "-1" {
		return math.MaxUint64, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

func rlimitNames() []string {
	var n []string
	for k := range Rlimits {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// CheckRlimits refuses hard limits above the caller's own: a rootless
// container cannot raise them (the kernel asks for CAP_SYS_RESOURCE in the
// host's user namespace), and the init stage would fail after everything
// was set up.
func CheckRlimits(rl []specs.POSIXRlimit) error {
	for _, r := range rl {
		res, ok := RlimitResource(r.Type)
		if !ok {
			return fmt.Errorf("unknown rlimit %s", r.Type)
		}
		var cur unix.Rlimit
		if err := unix.Getrlimit(res, &cur); err != nil {
			return fmt.Errorf("reading the limit %s: %w", r.Type, err)
		}
		if r.Hard > cur.Max {
			return fmt.Errorf("--ulimit %s hard limit %s is above yours (%s), which a rootless container cannot raise; use at most %s",
				strings.ToLower(strings.TrimPrefix(r.Type, "RLIMIT_")), fmtLimit(r.Hard), fmtLimit(cur.Max), fmtLimit(cur.Max))
		}
	}
	return nil
}

func fmtLimit(v uint64) string {
	if v == math.MaxUint64 {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}
