// Package stagebin owns the binaries `make build` embeds into urun: the
// init stage's own (cmd/urun-init, Init) and the image helper (cmd/urun-image,
// Image; package imagecli says why it is apart). The init stage and exec's stage are
// short-lived re-executions that need only package userns; started from the
// whole of urun (12 MB: image pulls, HTTP, compression, the CLI) each of
// them pays for a Go runtime that maps, verifies and initialises all of
// that before its first line runs, about 2 ms of every container's start.
// The small binary (under 3 MB) starts in a third of that and holds a
// fraction of the memory. It is used where urun's binary would have to be
// copied anyway (a binary the container could write); userns.sealedStage
// runs urun itself where no copy is needed, which costs less than copying
// the small one.
//
// A build without them (a plain `go build ./cmd/urun`) works the same, more
// slowly: the stages are then urun itself, and the image verbs run inside
// it.
package stagebin

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"unsafe"
)

// A Blob is one embedded binary.
type Blob struct {
	Name string // urun-init, urun-image: the memfd's name too
	data *string
}

// Init is the init stage's binary; Image is the image helper.
var (
	Init  = Blob{"urun-init", &initData}
	Image = Blob{"urun-image", &imageData}
)

// Present reports whether this build embeds b.
func (b Blob) Present() bool { return len(*b.data) > 0 }

// Locate returns where b lies in exe, urun's own
// executable file: its offset and size. The bytes are copied from the file
// (by the kernel, into a sealed memfd) rather than from memory, so that
// urun's resident set never holds them.
func (b Blob) Locate(exe *os.File) (off, size int64, err error) {
	if !b.Present() {
		return 0, 0, fmt.Errorf("this build of urun embeds no %s", b.Name)
	}
	data := *b.data
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
			return 0, 0, fmt.Errorf("reading %s from urun's own binary: %w", b.Name, err)
		}
		if !bytes.Equal(head, []byte(data[:len(head)])) {
			return 0, 0, fmt.Errorf("urun's binary on disk is not the one running (replaced while it ran?): start urun again")
		}
		return off, int64(n), nil
	}
	return 0, 0, fmt.Errorf("%s is in no loaded segment of urun's own binary", b.Name)
}
