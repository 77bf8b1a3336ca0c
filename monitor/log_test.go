package monitor

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	w, err := OpenLog(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(Stdout, []byte("one\ntwo\n"))
	w.Write(Stderr, []byte("err\n"))
	w.Write(Stdout, []byte("part"))
	w.Write(Stdout, []byte("ial\nthree\n"))
	w.Close()
	var o, e bytes.Buffer
	if err := CopyLog(p, LogOptions{Tail: -1}, &o, &e); err != nil {
		t.Fatal(err)
	}
	if o.String() != "one\ntwo\npartial\nthree\n" || e.String() != "err\n" {
		t.Fatalf("stdout %q stderr %q", o.String(), e.String())
	}
	o.Reset()
	e.Reset()
	CopyLog(p, LogOptions{Tail: 2}, &o, &e)
	if o.String() != "partial\nthree\n" || e.String() != "" {
		t.Fatalf("tail 2: stdout %q stderr %q", o.String(), e.String())
	}
	o.Reset()
	CopyLog(p, LogOptions{Tail: 1, Timestamps: true}, &o, &e)
	if f := strings.Fields(o.String()); len(f) != 2 || f[1] != "three" {
		t.Fatalf("-t: %q", o.String())
	}
}

func TestLogBounded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	w, _ := OpenLog(p, 1000)
	for i := 0; i < 100; i++ {
		w.Write(Stdout, []byte("0123456789\n"))
	}
	if w.size > 1000 {
		t.Fatalf("log of %d bytes, max 1000", w.size)
	}
}

func TestParseTail(t *testing.T) {
	for in, want := range map[string]int{"all": -1, "": -1, "0": 0, "12": 12} {
		if got, err := ParseTail(in); err != nil || got != want {
			t.Errorf("%q -> %d %v", in, got, err)
		}
	}
	for _, in := range []string{"-1", "x", "1x", "+3"} {
		if _, err := ParseTail(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseLogLine(f *testing.F) {
	f.Add([]byte("2026-01-01T00:00:00.1Z stdout F hi"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLogLine(b)
		if err == nil && l.Stream != Stdout && l.Stream != Stderr {
			t.Fatal(l.Stream)
		}
	})
}

func TestLogRemovedIsRecreated(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	w, _ := OpenLog(p, 0)
	w.Write(Stdout, []byte("before\n"))
	os.Remove(p)
	w.Write(Stdout, []byte("after\n"))
	var o, e bytes.Buffer
	if err := CopyLog(p, LogOptions{Tail: -1}, &o, &e); err != nil || o.String() != "after\n" {
		t.Fatalf("after removal: %q, %v", o.String(), err)
	}
}
