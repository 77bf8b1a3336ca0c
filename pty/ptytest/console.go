// Package ptytest drives a program through a real pseudo-terminal in tests,
// the way a person at a terminal would: the test holds the master (the
// keyboard and the screen), the program under test gets the slave as its
// terminal. It types with Send, reads the screen with Expect, resizes the
// window with Resize and inspects the terminal mode with Termios.
//
// Waiting is bounded by Timeout only so that a broken program fails the test
// with the screen in the message instead of hanging it; nothing here measures
// speed.
package ptytest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// DefaultTimeout is how long Expect waits before failing the test.
const DefaultTimeout = 2 * time.Minute

// Console is one pseudo-terminal with a reader that records everything the
// program writes to it.
type Console struct {
	t testing.TB
	// Master is the person's side: what is written here is typed.
	Master *os.File
	// Slave is the program's terminal: give it as Stdin/Stdout/Stderr and
	// make it the controlling terminal (SysProcAttr Setsid, Setctty, Ctty 0).
	// Close it in the test once the program has started and the test no
	// longer needs Termios, so that the end of the program ends the output.
	Slave *os.File
	// Timeout bounds each wait; DefaultTimeout unless changed.
	Timeout time.Duration

	mu      sync.Mutex
	buf     []byte
	mark    int           // Expect consumed everything before this
	changed chan struct{} // closed and replaced on every change
	eof     bool
	readErr error
}

// New opens a pseudo-terminal of the given size and starts recording its
// output. It is closed when the test ends.
func New(t testing.TB, rows, cols uint16) *Console {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(m, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		t.Fatalf("set the window size: %v", err)
	}
	c := &Console{t: t, Master: m, Slave: s, Timeout: DefaultTimeout, changed: make(chan struct{})}
	go c.read()
	t.Cleanup(func() {
		c.CloseSlave()
		m.Close()
	})
	return c
}

func (c *Console) read() {
	b := make([]byte, 64<<10)
	for {
		n, err := c.Master.Read(b)
		c.mu.Lock()
		c.buf = append(c.buf, b[:n]...)
		if err != nil {
			c.eof = true
			// EIO is how a pseudo-terminal master says that every slave
			// descriptor is closed: the normal end.
			if !errors.Is(err, syscall.EIO) && !errors.Is(err, os.ErrClosed) {
				c.readErr = err
			}
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Send types s.
func (c *Console) Send(s string) {
	c.t.Helper()
	if _, err := c.Master.Write([]byte(s)); err != nil {
		c.t.Fatalf("type %q: %v", s, err)
	}
}

// Expect waits until s appears in the output after what earlier Expects
// consumed, consumes the output up to the end of s and returns what came
// before s.
func (c *Console) Expect(s string) string {
	c.t.Helper()
	var before string
	c.wait(fmt.Sprintf("%q", s), func(b []byte) int {
		i := bytes.Index(b, []byte(s))
		if i < 0 {
			return -1
		}
		before = string(b[:i])
		return i + len(s)
	})
	return before
}

// ExpectRegexp waits until re matches the output after what earlier Expects
// consumed, consumes the output up to the end of the match and returns the
// match and its groups.
func (c *Console) ExpectRegexp(re *regexp.Regexp) []string {
	c.t.Helper()
	var m []string
	c.wait("/"+re.String()+"/", func(b []byte) int {
		loc := re.FindSubmatchIndex(b)
		if loc == nil {
			return -1
		}
		m = make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = string(b[loc[2*i]:loc[2*i+1]])
			}
		}
		return loc[1]
	})
	return m
}

func (c *Console) wait(what string, find func([]byte) int) {
	c.t.Helper()
	timer := time.NewTimer(c.Timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if end := find(c.buf[c.mark:]); end >= 0 {
			c.mark += end
			c.mu.Unlock()
			return
		}
		eof, ch := c.eof, c.changed
		c.mu.Unlock()
		if eof {
			c.t.Fatalf("the terminal closed before %s appeared; screen since the last match:\n%s", what, c.tail())
		}
		select {
		case <-ch:
		case <-timer.C:
			c.t.Fatalf("%s did not appear within %v; screen since the last match:\n%s", what, c.Timeout, c.tail())
		}
	}
}

func (c *Console) tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.buf[c.mark:]
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return fmt.Sprintf("%q", b)
}

// Resize changes the window size, as a terminal emulator does when its
// window is resized: the kernel sends SIGWINCH to the slave's foreground
// process group.
func (c *Console) Resize(rows, cols uint16) {
	c.t.Helper()
	if err := pty.Setsize(c.Master, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		c.t.Fatalf("resize the terminal: %v", err)
	}
}

// Termios returns the slave's terminal mode (what the program set).
func (c *Console) Termios() unix.Termios {
	c.t.Helper()
	tio, err := unix.IoctlGetTermios(int(c.Slave.Fd()), unix.TCGETS)
	if err != nil {
		c.t.Fatalf("get the terminal mode: %v", err)
	}
	return *tio
}

// CloseSlave closes the test's copy of the slave. Idempotent.
func (c *Console) CloseSlave() {
	c.Slave.Close()
}

// Drain waits until every holder of the slave has closed it (the program has
// exited and the test called CloseSlave) and returns the output that no
// Expect consumed.
func (c *Console) Drain() string {
	c.t.Helper()
	timer := time.NewTimer(c.Timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		eof, ch := c.eof, c.changed
		if eof {
			out := string(c.buf[c.mark:])
			c.mark = len(c.buf)
			err := c.readErr
			c.mu.Unlock()
			if err != nil {
				c.t.Fatalf("read the terminal: %v", err)
			}
			return out
		}
		c.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			c.t.Fatalf("the terminal did not close within %v (a process still holds it?); screen since the last match:\n%s", c.Timeout, c.tail())
		}
	}
}

// Output returns everything the program wrote so far.
func (c *Console) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}
