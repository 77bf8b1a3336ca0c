package idmap

import (
	"os"
	"reflect"
	"testing"
)

func TestExplicitKeepsTheGivenMaps(t *testing.T) {
	uid := []Mapping{{0, 1000, 1}, {1, 100000, 65536}}
	gid := []Mapping{{0, 1000, 1}}
	m, err := Explicit(uid, gid)
	if os.Geteuid() != 0 && err != nil {
		t.Skipf("SKIP: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.UID.Lines, uid) || !reflect.DeepEqual(m.GID.Lines, gid) {
		t.Fatalf("maps %v %v, want %v %v", m.UID.Lines, m.GID.Lines, uid, gid)
	}
	if os.Geteuid() == 0 && (m.UID.helper != "" || m.GID.helper != "") {
		t.Error("root writes its maps itself, yet a helper was planned")
	}
}
