package ocilog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)

func TestJSONLineIsWhatEnginesRead(t *testing.T) {
	got := Line(JSON, "error", `container "a" exists: "x"`+"\nsecond", t0)
	want := `{"level":"error","msg":"container \"a\" exists: \"x\"\nsecond","time":"2026-12-01T22:00:00Z"}` + "\n"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	// podman's reader: one JSON object per line with level, msg, time.
	var e struct{ Level, Msg, Time string }
	if err := json.Unmarshal([]byte(got), &e); err != nil || e.Level != "error" || !strings.HasPrefix(e.Msg, "container") {
		t.Fatalf("%v %+v", err, e)
	}
	if _, err := time.Parse(time.RFC3339, e.Time); err != nil {
		t.Error(err)
	}
}

func TestTextLine(t *testing.T) {
	got := Line(Text, "warning", "two\nlines \"q\"", t0)
	want := `time="2026-12-01T22:00:00Z" level=warning msg="two lines \"q\""` + "\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestOpenAppendsAndDebugOnlyWhenAsked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.json")
	for _, debug := range []bool{false, true} {
		l, err := Open(path, JSON, debug)
		if err != nil {
			t.Fatal(err)
		}
		l.Debugf("debug %v", debug)
		l.Error("boom")
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"msg":"boom"`) || !strings.Contains(lines[1], `"level":"debug","msg":"debug true"`) {
		t.Fatalf("log: %q", lines)
	}
}

func TestNilAndEmptyLoggersDrop(t *testing.T) {
	var l *Logger
	l.Error("x")
	l.Debugf("x")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := Open("", Text, true)
	if err != nil || l.Debugging() {
		t.Fatalf("%v %v", err, l.Debugging())
	}
	l.Error("x")
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Text, "text": Text, "json": JSON} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "use text or json") {
		t.Errorf("yaml: %v", err)
	}
}

func TestOpenRefusesUnwritable(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "no", "such", "log"), JSON, false); err == nil || !strings.Contains(err.Error(), "--log") {
		t.Fatalf("got %v", err)
	}
}
