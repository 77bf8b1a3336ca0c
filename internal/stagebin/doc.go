// Package stagebin owns the init stage's own binary (cmd/urun-init), which
// `make build` embeds into urun. The init stage and exec's stage are
// short-lived re-executions that need only package userns; started from the
// whole of urun (12 MB: image pulls, HTTP, compression, the CLI) each of
// them pays for a Go runtime that maps, verifies and initialises all of
// that before its first line runs, about 2 ms of every container's start.
// The small binary (under 3 MB) starts in a third of that and holds a
// fraction of the memory.
//
// A build without it (a plain `go build ./cmd/urun`) works the same, more
// slowly: the stages are then urun itself, as before.
package stagebin

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"unsafe"
)

// Present reports whether this build embeds the stage binary.
func Present() bool { return len(data) > 0 }

// Locate returns where the embedded binary lies in exe, urun's own
// executable file: its offset and size. The bytes are copied from the file
// (by the kernel, into a sealed memfd) rather than from memory, so that
// urun's resident set never holds the 3 MB.
func Locate(exe *os.File) (off, size int64, err error) {
	if !Present() {
		return 0, 0, fmt.Errorf("this build of urun embeds no init stage")
	}
	f, err := elf.NewFile(exe)
	if err != nil {
		return 0, 0, fmt.Errorf("reading urun's own binary: %w", err)
	}
	addr := uint64(uintptr(unsafe.Pointer(unsafe.StringData(data))))
	n := uint64(len(data))
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr+n > p.Vaddr+p.Filesz {
			continue
		}
		off := int64(p.Off + (addr - p.Vaddr))
		// The file must be the one running: check the start against
		// memory (one page of it).
		head := make([]byte, min(4096, len(data)))
		if _, err := exe.ReadAt(head, off); err != nil {
			return 0, 0, fmt.Errorf("reading the init stage from urun's own binary: %w", err)
		}
		if !bytes.Equal(head, []byte(data[:len(head)])) {
			return 0, 0, fmt.Errorf("urun's binary on disk is not the one running (replaced while it ran?): start urun again")
		}
		return off, int64(n), nil
	}
	return 0, 0, fmt.Errorf("the init stage is in no loaded segment of urun's own binary")
}
