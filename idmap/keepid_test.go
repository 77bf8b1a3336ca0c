package idmap

import (
	"reflect"
	"testing"
)

func TestPlanKeepID(t *testing.T) {
	for _, c := range []struct {
		name   string
		own    uint32
		ranges []Range
		want   []Mapping
	}{
		{"one range, podman's shape", 1000, []Range{{100000, 65536}},
			[]Mapping{{0, 100000, 1000}, {1000, 1000, 1}, {1001, 101000, 64536}}},
		{"fewer ids than the uid", 1000, []Range{{100000, 10}},
			[]Mapping{{0, 100000, 10}, {1000, 1000, 1}}},
		{"exactly the uid's count", 1000, []Range{{100000, 1000}},
			[]Mapping{{0, 100000, 1000}, {1000, 1000, 1}}},
		{"several ranges, the second crosses the uid", 1000, []Range{{100000, 600}, {200000, 600}},
			[]Mapping{{0, 100000, 600}, {600, 200000, 400}, {1000, 1000, 1}, {1001, 200400, 200}}},
		{"several ranges all below", 1000, []Range{{100000, 100}, {200000, 100}},
			[]Mapping{{0, 100000, 100}, {100, 200000, 100}, {1000, 1000, 1}}},
		{"root keeps 0 and gets the range above", 0, []Range{{100000, 65536}},
			[]Mapping{{0, 0, 1}, {1, 100000, 65536}}},
		{"a range holding the uid is skipped", 1000, []Range{{900, 200}, {100000, 2000}},
			[]Mapping{{0, 100000, 1000}, {1000, 1000, 1}, {1001, 101000, 1000}}},
		{"overlapping ranges are skipped", 1000, []Range{{100000, 2000}, {101000, 10}},
			[]Mapping{{0, 100000, 1000}, {1000, 1000, 1}, {1001, 101000, 1000}}},
		{"no ranges", 1000, nil, []Mapping{{1000, 1000, 1}}},
	} {
		got := PlanKeepID(c.own, c.ranges)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: PlanKeepID(%d, %v) =\n%v\nwant\n%v", c.name, c.own, c.ranges, got, c.want)
		}
		checkMap(t, c.name, got)
	}
}

// checkMap checks what the kernel checks: no two lines overlap inside or
// outside, at most maxLines lines.
func checkMap(t *testing.T, name string, m []Mapping) {
	t.Helper()
	if len(m) > maxLines {
		t.Errorf("%s: %d lines", name, len(m))
	}
	for i, a := range m {
		for _, b := range m[i+1:] {
			if uint64(a.ContainerID) < uint64(b.ContainerID)+uint64(b.Size) && uint64(b.ContainerID) < uint64(a.ContainerID)+uint64(a.Size) {
				t.Errorf("%s: container ids of %v and %v overlap", name, a, b)
			}
			if uint64(a.HostID) < uint64(b.HostID)+uint64(b.Size) && uint64(b.HostID) < uint64(a.HostID)+uint64(a.Size) {
				t.Errorf("%s: host ids of %v and %v overlap", name, a, b)
			}
		}
	}
}

func TestPlanKeepIDLineLimit(t *testing.T) {
	var ranges []Range
	for i := uint32(0); i < 400; i++ {
		ranges = append(ranges, Range{100000 + i*10, 5})
	}
	m := PlanKeepID(1000, ranges)
	checkMap(t, "400 ranges", m)
	if !Contains(m, 1000) {
		t.Errorf("the user's own id is not mapped: %v", m[len(m)-3:])
	}
}
