package hostbin

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHelperFoundWithoutPath: with PATH empty or unset, a program is still
// found where the distribution puts it.
func TestHelperFoundWithoutPath(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "newuidmap")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	saved := Dirs
	Dirs = []string{filepath.Join(dir, "missing"), dir}
	t.Cleanup(func() { Dirs = saved })
	t.Setenv("PATH", "")
	if got, err := Find("newuidmap"); err != nil || got != bin {
		t.Fatalf("PATH empty: Find = %q, %v; want %s", got, err, bin)
	}
	os.Unsetenv("PATH")
	if got, err := Find("newuidmap"); err != nil || got != bin {
		t.Fatalf("PATH unset: Find = %q, %v; want %s", got, err, bin)
	}
	if got, err := Find("newgidmap"); err == nil {
		t.Fatalf("found a helper that is not there: %s", got)
	}
}
