package stagebin

import (
	"debug/elf"
	"os"
	"reflect"
	"testing"
)

// loadSegments reads the same PT_LOAD headers as debug/elf, from the test's
// own binary.
func TestLoadSegmentsAgreesWithDebugELF(t *testing.T) {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	got, err := loadSegments(exe)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	var want []segment
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			want = append(want, segment{off: p.Off, vaddr: p.Vaddr, filesz: p.Filesz})
		}
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("loadSegments = %+v, debug/elf's PT_LOAD = %+v", got, want)
	}
}

// A file that is not a 64-bit ELF is refused, not read as one.
func TestLoadSegmentsRefusesOtherFiles(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("#!/bin/sh\n" + string(make([]byte, 100))); err != nil {
		t.Fatal(err)
	}
	if segs, err := loadSegments(f); err == nil {
		t.Fatalf("loadSegments of a script = %+v, want an error", segs)
	}
}
