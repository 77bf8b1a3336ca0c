package userns

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSealedExeIsAnImmutableCopy: the copy is byte for byte this binary, it
// carries every seal, and neither a write, a resize nor a new descriptor
// opened for writing through /proc changes it.
func TestSealedExeIsAnImmutableCopy(t *testing.T) {
	f, err := sealedExe()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.NewSectionReader(f, 0, int64(len(want))+1))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the copy has %d bytes, differing from the binary's %d", len(got), len(want))
	}
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	if err != nil || seals&sealedSeals != sealedSeals {
		t.Fatalf("seals %#x (%v), want %#x", seals, err, sealedSeals)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, unix.F_SEAL_EXEC); !errors.Is(err, unix.EPERM) {
		t.Errorf("adding a seal after F_SEAL_SEAL: %v, want EPERM", err)
	}
	if _, err := unix.Pwrite(int(f.Fd()), []byte("x"), 0); err == nil {
		t.Error("a write through the memfd succeeded")
	}
	if err := f.Truncate(1); err == nil {
		t.Error("shrinking the memfd succeeded")
	}
	// An attacker holding the path (/proc/PID/exe, here /proc/self/fd/N)
	// opens it again for writing: the open may work, the write must not.
	if w, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), os.O_WRONLY, 0); err == nil {
		_, werr := w.Write([]byte("x"))
		w.Close()
		if werr == nil {
			t.Error("a write through a reopened descriptor succeeded")
		}
	}
}

// TestSealedExeRuns: the copy executes from its descriptor, as the init
// stage is started.
func TestSealedExeRuns(t *testing.T) {
	f, err := sealedExe()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("/proc/self/fd/3", "-test.run=^TestNothing$")
	cmd.ExtraFiles = []*os.File{f}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running the copy: %v: %s", err, out)
	}
}

// BenchmarkSealedExe is the cost of the copy per run (make the memfd, copy
// the binary, seal it).
func BenchmarkSealedExe(b *testing.B) {
	for b.Loop() {
		f, err := sealedExe()
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// TestSealedCopyOfARange: the embedded stage is a range in the middle of
// urun's binary; sealedCopy must take exactly that range, sealed.
func TestSealedCopyOfARange(t *testing.T) {
	src, err := os.CreateTemp(t.TempDir(), "range")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	if _, err := src.Write(data); err != nil {
		t.Fatal(err)
	}
	const off, size = 4097, 100000
	f, err := sealedCopy("range", src, off, size)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(io.NewSectionReader(f, 0, size+1))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data[off:off+size]) {
		t.Fatalf("the copy has %d bytes, not bytes %d to %d of the source", len(got), off, off+size)
	}
	if seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0); err != nil || seals&sealedSeals != sealedSeals {
		t.Fatalf("seals %#x (%v), want %#x", seals, err, sealedSeals)
	}
}
