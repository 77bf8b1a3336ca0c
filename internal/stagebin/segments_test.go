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

// Matches holds a file to the embedded binary: the same size, first page and
// last page.
func TestMatches(t *testing.T) {
	data := string(make([]byte, 3*4096+100))
	data = "\x7fELF" + data[4:len(data)-3] + "end"
	b := Blob{"urun-init", &data}
	write := func(content string) *os.File {
		f, err := os.CreateTemp(t.TempDir(), "stage")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		if _, err := f.WriteString(content); err != nil {
			t.Fatal(err)
		}
		return f
	}
	if !b.Matches(write(data)) {
		t.Fatal("the same bytes do not match")
	}
	for name, other := range map[string]string{
		"first page":  data[:100] + "X" + data[101:],
		"last page":   data[:len(data)-2] + "X" + data[len(data)-1:],
		"size":        data + "\x00",
		"empty":       "",
		"other build": "\x7fELG" + data[4:],
	} {
		if b.Matches(write(other)) {
			t.Errorf("a file differing in its %s matches", name)
		}
	}
	var none string
	if (Blob{"urun-init", &none}).Matches(write(data)) {
		t.Error("a build without the blob matches a file")
	}
}
