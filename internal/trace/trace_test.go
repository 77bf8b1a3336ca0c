package trace

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func TestOffRecordsNothing(t *testing.T) {
	if on {
		t.Skip("URUN_TRACE is set in the environment")
	}
	Mark("x")
	if w, err := Pipe("init"); w != nil || err != nil {
		t.Fatalf("Pipe while off = %v, %v; want nil, nil", w, err)
	}
	var b bytes.Buffer
	Flush(&b)
	if b.Len() != 0 || len(events) != 0 {
		t.Fatalf("off, Flush printed %q and kept %d events", b.String(), len(events))
	}
}

// A stage's marks come over its pipe and are printed in time order with
// the parent's.
func TestStageMarksMergeInTimeOrder(t *testing.T) {
	on, base, events = true, Now(), nil
	defer func() { on, events = false, nil }()
	Mark("parent first")
	w, err := Pipe("init")
	if err != nil {
		t.Fatal(err)
	}
	// What StartStage's process writes; its clock is the same.
	t1 := Now()
	_, _ = w.WriteString(strings.Join([]string{
		itoa(t1) + " stage mark",
		"garbage line",
	}, "\n") + "\n")
	w.Close()
	Mark("parent last")
	var b bytes.Buffer
	Flush(&b)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("timeline has %d lines, want 3:\n%s", len(lines), b.String())
	}
	for i, want := range []string{"urun  parent first", "init  stage mark", "urun  parent last"} {
		if !strings.HasPrefix(lines[i], "urun-trace:") || !strings.HasSuffix(lines[i], want) {
			t.Errorf("line %d = %q, want a urun-trace line ending %q", i, lines[i], want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
