package ocilog

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Format is a log line format.
type Format string

// The formats runc and crun accept.
const (
	Text Format = "text"
	JSON Format = "json"
)

// ParseFormat checks a --log-format value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case Text, JSON:
		return Format(s), nil
	case "":
		return Text, nil
	}
	return "", fmt.Errorf("--log-format %q is not known: use text or json", s)
}

// Logger writes log lines. A nil *Logger or one without a writer drops
// everything, so callers need no checks.
type Logger struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
	format Format
	debug  bool
	now    func() time.Time
}

// New writes lines to w (nil: nowhere).
func New(w io.Writer, f Format, debug bool) *Logger {
	return &Logger{w: w, format: f, debug: debug, now: time.Now}
}

// Open opens (creates, appends to) the log file path; "" logs nowhere.
func Open(path string, f Format, debug bool) (*Logger, error) {
	if path == "" {
		return New(nil, f, debug), nil
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the log file (--log): %w", err)
	}
	l := New(fh, f, debug)
	l.closer = fh
	return l, nil
}

// Close closes the log file, if Open opened one.
func (l *Logger) Close() error {
	if l == nil || l.closer == nil {
		return nil
	}
	return l.closer.Close()
}

// Debugging reports whether debug entries are written.
func (l *Logger) Debugging() bool { return l != nil && l.debug && l.w != nil }

// Error logs an error entry.
func (l *Logger) Error(msg string) { l.write("error", msg) }

// Warn logs a warning entry.
func (l *Logger) Warn(msg string) { l.write("warning", msg) }

// Info logs an informational entry.
func (l *Logger) Info(msg string) { l.write("info", msg) }

// Debugf logs a debug entry when debugging.
func (l *Logger) Debugf(format string, args ...any) {
	if l.Debugging() {
		l.write("debug", fmt.Sprintf(format, args...))
	}
}

func (l *Logger) write(level, msg string) {
	if l == nil || l.w == nil {
		return
	}
	line := Line(l.format, level, msg, l.now())
	l.mu.Lock()
	defer l.mu.Unlock()
	// One write per line: with O_APPEND it lands whole. A log that
	// cannot be written must not turn into a second error.
	_, _ = io.WriteString(l.w, line)
}

// Line formats one entry, newline included. Newlines in msg are folded
// into spaces in text form (a reader takes a line as an entry); JSON escapes
// them.
func Line(f Format, level, msg string, t time.Time) string {
	ts := t.Format(time.RFC3339)
	if f == JSON {
		// Field order as logrus writes it (sorted keys), which is what
		// engines were tested against.
		b, _ := json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, ts})
		return string(b) + "\n"
	}
	msg = strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
	return "time=" + strconv.Quote(ts) + " level=" + level + " msg=" + strconv.Quote(msg) + "\n"
}
