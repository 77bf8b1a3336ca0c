package idmap

import (
	"fmt"
	"strconv"
	"strings"
)

// Mapping is one line of a uid_map or gid_map: ids ContainerID..ContainerID+Size-1
// inside map to HostID..HostID+Size-1 outside.
type Mapping struct {
	ContainerID uint32
	HostID      uint32
	Size        uint32
}

// maxLines is the kernel's limit of lines in a uid_map (since Linux 4.15).
const maxLines = 340

// Plan makes the map for a rootless user: container 0 is the user's own id and
// container ids 1..N are the subordinate ranges laid end to end. Ranges that
// contain the user's own id are skipped (the id is already mapped to 0 and the
// kernel refuses overlapping maps).
func Plan(own uint32, ranges []Range) []Mapping {
	m := []Mapping{{ContainerID: 0, HostID: own, Size: 1}}
	next := uint64(1)
	for _, r := range ranges {
		if own >= r.Start && uint64(own) < uint64(r.Start)+uint64(r.Count) {
			continue
		}
		if overlaps(m[1:], r) {
			continue
		}
		if next+uint64(r.Count)-1 > maxID {
			break
		}
		if len(m) == maxLines {
			break
		}
		m = append(m, Mapping{ContainerID: uint32(next), HostID: r.Start, Size: r.Count})
		next += uint64(r.Count)
	}
	return m
}

func overlaps(m []Mapping, r Range) bool {
	for _, x := range m {
		if uint64(r.Start) < uint64(x.HostID)+uint64(x.Size) && uint64(x.HostID) < uint64(r.Start)+uint64(r.Count) {
			return true
		}
	}
	return false
}

// Format renders the map in /proc/PID/uid_map syntax.
func Format(m []Mapping) string {
	var b strings.Builder
	for _, x := range m {
		fmt.Fprintf(&b, "%d %d %d\n", x.ContainerID, x.HostID, x.Size)
	}
	return b.String()
}

// helperArgs renders the map as newuidmap/newgidmap arguments after the PID.
func helperArgs(m []Mapping) []string {
	var a []string
	for _, x := range m {
		a = append(a, strconv.FormatUint(uint64(x.ContainerID), 10), strconv.FormatUint(uint64(x.HostID), 10), strconv.FormatUint(uint64(x.Size), 10))
	}
	return a
}

// Contains reports whether container id id is mapped.
func Contains(m []Mapping, id uint32) bool {
	for _, x := range m {
		if id >= x.ContainerID && uint64(id) < uint64(x.ContainerID)+uint64(x.Size) {
			return true
		}
	}
	return false
}
