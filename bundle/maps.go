package bundle

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/idmap"
	"golang.org/x/sys/unix"
)

// maxMapLines is the kernel's limit of lines in a uid_map (Linux >= 4.15).
const maxMapLines = 340

type span struct{ lo, hi uint64 } // [lo, hi)

// checkMap checks one map: sizes, overflow, overlaps inside and outside, and
// rootless that every host id is the user's own or a subordinate one.
func checkMap(field, kind, file string, m []specs.LinuxIDMapping, rootless bool, own uint32, ranges []idmap.Range) error {
	if len(m) > maxMapLines {
		return fmt.Errorf("%s has %d entries: the kernel takes at most %d", field, len(m), maxMapLines)
	}
	var inside, outside []span
	for i, e := range m {
		where := fmt.Sprintf("%s[%d]", field, i)
		if e.Size == 0 {
			return fmt.Errorf("%s: size is 0: give the number of ids to map", where)
		}
		in := span{uint64(e.ContainerID), uint64(e.ContainerID) + uint64(e.Size)}
		out := span{uint64(e.HostID), uint64(e.HostID) + uint64(e.Size)}
		if in.hi > 1<<32 || out.hi > 1<<32 {
			return fmt.Errorf("%s: ids run past %d: make size smaller", where, uint64(1<<32-1))
		}
		if j := overlap(inside, in); j >= 0 {
			return fmt.Errorf("%s: container %ss %s overlap %s[%d]: the kernel refuses overlapping maps", where, kind, spanString(in), field, j)
		}
		if j := overlap(outside, out); j >= 0 {
			return fmt.Errorf("%s: host %ss %s overlap %s[%d]: the kernel refuses overlapping maps", where, kind, spanString(out), field, j)
		}
		inside, outside = append(inside, in), append(outside, out)
		if !rootless {
			continue
		}
		if gap, ok := uncovered(out, own, ranges); ok {
			return fmt.Errorf("%s: host %ss %s are neither your own %s %d nor among your subordinate %ss (%s gives you %s): ask an admin for 'usermod --add-sub%ss %s %s' or change the mapping",
				where, kind, spanString(gap), kind, own, kind, file, rangesString(ranges), kind, spanString(gap), userName())
		}
	}
	return nil
}

func overlap(ss []span, s span) int {
	for i, o := range ss {
		if s.lo < o.hi && o.lo < s.hi {
			return i
		}
	}
	return -1
}

// uncovered returns the first part of s that neither own nor ranges hold.
func uncovered(s span, own uint32, ranges []idmap.Range) (span, bool) {
	allowed := []span{{uint64(own), uint64(own) + 1}}
	for _, r := range ranges {
		allowed = append(allowed, span{uint64(r.Start), uint64(r.Start) + uint64(r.Count)})
	}
	sort.Slice(allowed, func(i, j int) bool { return allowed[i].lo < allowed[j].lo })
	lo := s.lo
	for _, a := range allowed {
		if a.hi <= lo {
			continue
		}
		if a.lo > lo {
			return span{lo, min(a.lo, s.hi)}, true
		}
		lo = a.hi
		if lo >= s.hi {
			return span{}, false
		}
	}
	return span{lo, s.hi}, true
}

func spanString(s span) string {
	if s.hi-s.lo == 1 {
		return fmt.Sprint(s.lo)
	}
	return fmt.Sprintf("%d-%d", s.lo, s.hi-1)
}

func rangesString(rs []idmap.Range) string {
	if len(rs) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(spanString(span{uint64(r.Start), uint64(r.Start) + uint64(r.Count)}))
	}
	return b.String()
}

func userName() string {
	if u := os.Getenv("USER"); u != "" && !strings.ContainsAny(u, " \t\n") {
		return u
	}
	return "$USER"
}

// nsTypeOf maps the kernel's CLONE_NEW* values to spec names.
var nsTypeOf = map[int]specs.LinuxNamespaceType{
	unix.CLONE_NEWPID: specs.PIDNamespace, unix.CLONE_NEWNET: specs.NetworkNamespace,
	unix.CLONE_NEWNS: specs.MountNamespace, unix.CLONE_NEWIPC: specs.IPCNamespace,
	unix.CLONE_NEWUTS: specs.UTSNamespace, unix.CLONE_NEWUSER: specs.UserNamespace,
	unix.CLONE_NEWCGROUP: specs.CgroupNamespace, unix.CLONE_NEWTIME: specs.TimeNamespace,
}

// NamespaceType opens path and asks the kernel which namespace it is
// (NS_GET_NSTYPE, Linux >= 4.11). A file that is not a namespace is an
// error saying so.
func NamespaceType(path string) (specs.LinuxNamespaceType, error) {
	// O_NONBLOCK: a FIFO at path must not hang the runtime; namespace
	// files ignore it.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	v, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
			return "", errors.New("not a namespace file: give one such as /proc/PID/ns/net or a bind mount of it")
		}
		return "", fmt.Errorf("asking its namespace type: %w", err)
	}
	t, ok := nsTypeOf[v]
	if !ok {
		return "", fmt.Errorf("a namespace of unknown type %#x", v)
	}
	return t, nil
}
