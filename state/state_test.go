package state

import (
	"os"
	"testing"
)

func TestCreateRemove(t *testing.T) {
	d, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.Path+"/hosts", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(); err != nil || d.Remove() != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path); !os.IsNotExist(err) {
		t.Fatalf("still there: %v", err)
	}
}
