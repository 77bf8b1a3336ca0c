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

// PlanKeepID makes podman's --userns keep-id map: the user's own id is the
// same inside as outside, and the subordinate ranges, laid end to end, fill
// the container ids below it (0..own-1) and above it (own+1...). With first
// subuid S and N ids that is `0 S own`, `own own 1`, `own+1 S+own N-own`.
// When the ranges hold fewer than own ids, the ids between them and own stay
// unmapped. Ranges that contain own, or overlap an earlier one, are skipped.
func PlanKeepID(own uint32, ranges []Range) []Mapping {
	self := Mapping{ContainerID: own, HostID: own, Size: 1}
	var m []Mapping
	next := uint64(0)
	placed := false
	add := func(x Mapping) bool {
		if len(m) == maxLines {
			return false
		}
		m = append(m, x)
		return true
	}
	var used []Mapping
	for _, r := range ranges {
		if own >= r.Start && uint64(own) < uint64(r.Start)+uint64(r.Count) {
			continue
		}
		if overlaps(used, r) {
			continue
		}
		used = append(used, Mapping{HostID: r.Start, Size: r.Count})
		host, count := uint64(r.Start), uint64(r.Count)
		if !placed && next+count > uint64(own) {
			// This range crosses own: the part below it, then own, then
			// the rest above it.
			below := uint64(own) - next
			if below > 0 && !add(Mapping{ContainerID: uint32(next), HostID: uint32(host), Size: uint32(below)}) {
				break
			}
			if !add(self) {
				break
			}
			placed = true
			host, count, next = host+below, count-below, uint64(own)+1
			if count == 0 {
				continue
			}
		}
		if next+count-1 > maxID {
			count = maxID - next + 1
			if count == 0 || next > maxID {
				break
			}
		}
		if !add(Mapping{ContainerID: uint32(next), HostID: uint32(host), Size: uint32(count)}) {
			break
		}
		next += count
	}
	if !placed {
		if len(m) == maxLines {
			m = m[:maxLines-1]
		}
		m = append(m, self)
	}
	return m
}
