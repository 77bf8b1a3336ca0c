// Package stagebin owns the binaries `make build` embeds into urun: the
// init stage's own (cmd/urun-init, Init) and the image helper (cmd/urun-image,
// Image; package imagecli says why it is apart). The init stage and exec's stage are
// short-lived re-executions that need only package userns; started from the
// whole of urun (12 MB: image pulls, HTTP, compression, the CLI) each of
// them pays for a Go runtime that maps, verifies and initialises all of
// that before its first line runs, about 2 ms of every container's start.
// The small binary (under 3 MB) starts in a third of that and holds a
// fraction of the memory. It is used where urun's binary would have to be
// copied anyway (a binary the container could write); where no copy is
// needed, userns.sealedStage runs the copy of it that `make install` puts
// in PREFIX/libexec/urun, or one beside urun (when Matches says it is this
// one), or else urun itself, which costs less than copying the small one.
//
// A build without them (a plain `go build ./cmd/urun`) works the same, more
// slowly: the stages are then urun itself, and the image verbs run inside
// it.
package stagebin

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
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
	segs, err := loadSegments(exe)
	if err != nil {
		return 0, 0, fmt.Errorf("reading urun's own binary: %w", err)
	}
	addr := uint64(uintptr(unsafe.Pointer(unsafe.StringData(data))))
	n := uint64(len(data))
	for _, p := range segs {
		if addr < p.vaddr || addr+n > p.vaddr+p.filesz {
			continue
		}
		off := int64(p.off + (addr - p.vaddr))
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

// Matches reports whether f holds b: the same size, first page and last
// page. The first page holds the ELF headers and the Go and GNU build IDs,
// hashes of what the binary was built from and of its content, so the stage
// of another build (an older install beside a newer urun) differs there;
// two pages are read, not the whole binary, on every start that uses one.
func (b Blob) Matches(f *os.File) bool {
	data := *b.data
	if len(data) == 0 {
		return false
	}
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || st.Size != int64(len(data)) {
		return false
	}
	page := make([]byte, min(4096, len(data)))
	for _, off := range []int{0, len(data) - len(page)} {
		if _, err := f.ReadAt(page, int64(off)); err != nil || !bytes.Equal(page, []byte(data[off:off+len(page)])) {
			return false
		}
	}
	return true
}

// segment is a PT_LOAD program header: where a part of the file is mapped.
type segment struct{ off, vaddr, filesz uint64 }

// loadSegments reads the PT_LOAD program headers of exe, a 64-bit ELF file
// (Go builds urun only as one on Linux). It reads the few fields it needs
// rather than use debug/elf, which links DWARF, zlib and zstd readers whose
// package initialisers ran on every start of urun and of its init stage
// (0.1-0.2 ms of each, measured with perf here).
func loadSegments(exe *os.File) ([]segment, error) {
	var eh [64]byte // Elf64_Ehdr
	if _, err := exe.ReadAt(eh[:], 0); err != nil {
		return nil, err
	}
	if string(eh[:4]) != "\x7fELF" || eh[4] != 2 { // ELFCLASS64
		return nil, fmt.Errorf("not a 64-bit ELF file")
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch eh[5] {
	case 1: // ELFDATA2LSB
	case 2:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("ELF data encoding %d unknown", eh[5])
	}
	phoff, phentsize, phnum := bo.Uint64(eh[32:]), int(bo.Uint16(eh[54:])), int(bo.Uint16(eh[56:]))
	if phentsize < 56 || phnum > 256 {
		return nil, fmt.Errorf("program headers of %d bytes, %d of them: not what Go links", phentsize, phnum)
	}
	ph := make([]byte, phentsize*phnum)
	if _, err := exe.ReadAt(ph, int64(phoff)); err != nil {
		return nil, fmt.Errorf("reading the program headers: %w", err)
	}
	var segs []segment
	for i := range phnum {
		p := ph[i*phentsize:]  // Elf64_Phdr
		if bo.Uint32(p) != 1 { // PT_LOAD
			continue
		}
		segs = append(segs, segment{off: bo.Uint64(p[8:]), vaddr: bo.Uint64(p[16:]), filesz: bo.Uint64(p[32:])})
	}
	return segs, nil
}
