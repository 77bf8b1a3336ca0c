package monitor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultLogSizeMax bounds a container's log, as conmon's --log-size-max:
// a few MiB.
const DefaultLogSizeMax = 8 << 20

// Stream names of the k8s-file format.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// LogWriter writes the container's output as k8s-file lines
// (`TIMESTAMP stdout|stderr P|F text`): F ends a line, P is a part of a line
// cut by a read or by the line limit. When the file would pass max it is
// truncated and starts again, as conmon does, so the log never fills the
// disk. Write errors (a full disk, a removed file) are noted and dropped:
// the container never stops because its log cannot be written.
type LogWriter struct {
	mu   sync.Mutex
	f    *os.File
	path string
	max  int64
	size int64
	// Err is the first write error, for the monitor's own record.
	Err error
}

// OpenLog creates (or truncates) the log at path.
func OpenLog(path string, max int64) (*LogWriter, error) {
	if max <= 0 {
		max = DefaultLogSizeMax
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the container's log: %w", err)
	}
	return &LogWriter{f: f, path: path, max: max}, nil
}

// Write logs b, read from stream, at now.
func (w *LogWriter) Write(stream string, b []byte) {
	if w == nil || len(b) == 0 {
		return
	}
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	var buf bytes.Buffer
	for len(b) > 0 {
		line, rest, full := bytes.Cut(b, []byte{'\n'})
		tag := "P"
		if full {
			tag = "F"
		}
		buf.WriteString(ts + " " + stream + " " + tag + " ")
		buf.Write(line)
		buf.WriteByte('\n')
		b = rest
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reopenIfRemoved()
	if w.size+int64(buf.Len()) > w.max {
		// conmon's rotation: start the file again. The readers notice the
		// file shrank and read it from the start.
		if err := w.f.Truncate(0); err != nil {
			w.note(err)
		}
		w.size = 0
	}
	n, err := w.f.Write(buf.Bytes())
	w.size += int64(n)
	if err != nil {
		w.note(err)
	}
}

// reopenIfRemoved starts a new file when someone removed the log: the
// output would go on into an unlinked file that urun logs can no longer
// open. One fstat per write: the link count says it.
func (w *LogWriter) reopenIfRemoved() {
	var st unix.Stat_t
	if err := unix.Fstat(int(w.f.Fd()), &st); err != nil || st.Nlink > 0 {
		return
	}
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		w.note(err)
		return
	}
	w.f.Close()
	w.f, w.size = f, 0
}

func (w *LogWriter) note(err error) {
	if w.Err == nil {
		w.Err = err
	}
}

// Close closes the file.
func (w *LogWriter) Close() error {
	if w == nil {
		return nil
	}
	return w.f.Close()
}

// LogLine is one parsed line of a k8s-file log.
type LogLine struct {
	Time    string
	Stream  string
	Partial bool
	Text    []byte
}

// ParseLogLine parses one line (without its newline).
func ParseLogLine(b []byte) (LogLine, error) {
	f := bytes.SplitN(b, []byte{' '}, 4)
	if len(f) != 4 {
		return LogLine{}, errors.New("log line with fewer than four fields")
	}
	l := LogLine{Time: string(f[0]), Stream: string(f[1]), Text: f[3]}
	if l.Stream != Stdout && l.Stream != Stderr {
		return l, fmt.Errorf("log line of stream %q", l.Stream)
	}
	switch string(f[2]) {
	case "P":
		l.Partial = true
	case "F":
	default:
		return l, fmt.Errorf("log line tag %q", f[2])
	}
	if _, err := time.Parse(time.RFC3339Nano, l.Time); err != nil {
		return l, fmt.Errorf("log line time: %w", err)
	}
	return l, nil
}

// LogOptions say what urun logs shows.
type LogOptions struct {
	// Tail keeps only the last Tail lines; negative: all.
	Tail int
	// Timestamps prefixes each line with its time.
	Timestamps bool
	// Follow keeps reading until running() says the container is gone.
	Follow  bool
	Running func() bool
}

// CopyLog writes the log at path to stdout and stderr, each line on its
// stream. It reads the file as it is; with Follow it polls for what is
// added until the container ends (a tmpfs has no cheaper notice that works
// for every writer; a tenth of a second is below what a person notices).
func CopyLog(path string, o LogOptions, stdout, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening the log: %w", err)
	}
	defer f.Close()
	out := func(l LogLine) {
		w := stdout
		if l.Stream == Stderr {
			w = stderr
		}
		var b []byte
		if o.Timestamps {
			b = append(b, l.Time+" "...)
		}
		b = append(b, l.Text...)
		if !l.Partial {
			b = append(b, '\n')
		}
		_, _ = w.Write(b)
	}
	var off int64
	rd := bufio.NewReader(f)
	var pending []byte
	first := true
	for {
		var lines []LogLine
		for {
			chunk, err := rd.ReadBytes('\n')
			off += int64(len(chunk))
			if err != nil {
				// A line still being written: keep it for the next round.
				pending = append(pending, chunk...)
				break
			}
			chunk = append(pending, chunk...)
			pending = nil
			if l, perr := ParseLogLine(bytes.TrimSuffix(chunk, []byte{'\n'})); perr == nil {
				lines = append(lines, l)
			}
		}
		if first && o.Tail >= 0 {
			lines = tail(lines, o.Tail)
		}
		first = false
		for _, l := range lines {
			out(l)
		}
		if !o.Follow {
			return nil
		}
		if !o.Running() {
			// One more round reads what was written before the end.
			o.Follow = false
			continue
		}
		time.Sleep(100 * time.Millisecond)
		if st, err := f.Stat(); err == nil && st.Size() < off {
			// Rotated (truncated): start again from the top.
			if _, err := f.Seek(0, io.SeekStart); err == nil {
				off, pending = 0, nil
				rd.Reset(f)
			}
		}
	}
}

// tail keeps the last n whole lines (a partial line belongs to the line it
// ends in).
func tail(lines []LogLine, n int) []LogLine {
	count := 0
	for i := len(lines) - 1; i >= 0; i-- {
		if !lines[i].Partial {
			count++
			if count > n {
				return lines[i+1:]
			}
		}
	}
	return lines
}

// ParseTail parses --tail: a number of lines, or "all".
func ParseTail(s string) (int, error) {
	if s == "" || strings.EqualFold(s, "all") {
		return -1, nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != s {
		return 0, fmt.Errorf("invalid --tail %q: give a number of lines, or all", s)
	}
	return n, nil
}
