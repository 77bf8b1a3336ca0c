package idmap

import "testing"

// Same decides whether an early-started stage's maps are the run's: any
// difference in lines or in how they are written must tell them apart.
func TestMapsSame(t *testing.T) {
	full := func() *Maps {
		return &Maps{
			UID: Map{Lines: []Mapping{{0, 1000, 1}, {1, 100000, 65536}}, helper: "/usr/bin/newuidmap", k: uidKind},
			GID: Map{Lines: []Mapping{{0, 1000, 1}, {1, 100000, 65536}}, helper: "/usr/bin/newgidmap", k: gidKind},
		}
	}
	if !full().Same(full()) {
		t.Fatal("equal maps are not Same")
	}
	var none *Maps
	if !none.Same(nil) || none.Same(full()) || full().Same(nil) {
		t.Fatal("nil is Same only as nil")
	}
	for name, change := range map[string]func(*Maps){
		"uid line":   func(m *Maps) { m.UID.Lines[1].HostID = 200000 },
		"gid size":   func(m *Maps) { m.GID.Lines[1].Size = 1 },
		"gid lines":  func(m *Maps) { m.GID.Lines = m.GID.Lines[:1] },
		"uid helper": func(m *Maps) { m.UID.helper = "" },
	} {
		m := full()
		change(m)
		if full().Same(m) || m.Same(full()) {
			t.Errorf("maps with another %s are Same", name)
		}
	}
}
