package store

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// BenchmarkForegroundRecord is what registering costs a foreground run:
// reserve a name and create the record (among 20 other containers), write
// a 10 KB config.json (the size of a default spec), update the record to
// running, and remove it at the end. hack/bench-background.sh reports it;
// issue 11 allows 1 ms.
func BenchmarkForegroundRecord(b *testing.B) {
	for _, others := range []int{0, 20} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) { benchRecord(b, others) })
	}
}

func benchRecord(b *testing.B, others int) {
	d := b.TempDir()
	os.Chmod(d, 0o700)
	s, err := Open(d)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < others; i++ {
		if err := s.Create(self(NewID(), "")); err != nil {
			b.Fatal(err)
		}
	}
	cfg := []byte(strings.Repeat("x", 10<<10))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := self(NewID(), "")
		r.Detached = false
		if err := s.Create(r); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(s.Path(r.ID, SpecFile), cfg, 0o600); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Update(r.ID, func(r *Record) error {
			now := time.Now()
			r.Status, r.Pid, r.Started = Running, os.Getpid(), &now
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if err := s.Remove(r.ID); err != nil {
			b.Fatal(err)
		}
	}
}
