package userns

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIDMap: a host id maps to its inside id through the range holding it;
// an inside id is mapped when some range starts at or below it.
func TestIDMap(t *testing.T) {
	f := filepath.Join(t.TempDir(), "uid_map")
	// urun's default map for uid 1001 with subordinate ids from 100000.
	if err := os.WriteFile(f, []byte("         0       1001          1\n         1     100000      65536\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := readIDMap(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, inside uint32
		ok           bool
	}{{1001, 0, true}, {100000, 1, true}, {165535, 65536, true}, {165536, 0, false}, {1000, 0, false}} {
		if in, ok := m.inside(c.host); in != c.inside || ok != c.ok {
			t.Errorf("inside(%d) = %d, %v; want %d, %v", c.host, in, ok, c.inside, c.ok)
		}
	}
	if !m.maps(0) || !m.maps(65536) || m.maps(65537) {
		t.Errorf("maps: 0 %v, 65536 %v, 65537 %v; want true, true, false", m.maps(0), m.maps(65536), m.maps(65537))
	}
	if _, err := readIDMap(filepath.Join(t.TempDir(), "gone")); err == nil {
		t.Error("a missing map (a gone container) reads without error")
	}
}
