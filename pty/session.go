package pty

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// bufSize is the copy buffer of each direction: large enough that a burst
// (a paste, `cat` of a big file) moves in few system calls.
const bufSize = 64 << 10

// Session relays one container terminal to the user's terminal. It is made by
// [Start] and ends with [Session.Wait] (the container is done: drain, then
// clean up) or [Session.Close] (stop now). Its methods are safe for
// concurrent use.
type Session struct {
	master *os.File // non-blocking, in Go's poller: Close interrupts its Read and Write
	in     *os.File
	out    *os.File
	inFd   int

	// termFd is the user's terminal whose mode and size the session follows
	// (stdin if it is a terminal, else stdout if it is, else -1); state is
	// its mode before raw mode, nil if the session did not change it.
	termFd   int
	state    *term.State
	mu       sync.Mutex // guards restored
	restored bool

	winch     chan os.Signal
	winchDone chan struct{}

	stopR, stopW int // closing stopW wakes the input loop out of poll
	inDone       chan struct{}
	inErr        error

	outDone chan struct{}
	outErr  error // first failure writing to the user's terminal
	readErr error // failure reading the master other than the end of the terminal

	closeOnce sync.Once
	closeErr  error
}

// Start relays the terminal whose master is master to the user's terminal:
// bytes from in go to the container, bytes from the container go to out.
// It takes ownership of master (Close closes it). in may be nil: then nothing
// is sent to the container (docker's -t without -i). If in is a terminal it
// is put in raw mode, so that Ctrl-C, Ctrl-Z and Ctrl-\ travel as bytes to the
// container's line discipline instead of signalling urun; the window size of
// the user's terminal (in, or else out) is copied to master now and on every
// SIGWINCH.
//
// in and out must stay open until Wait or Close returns. in is read with
// poll(2) and read(2) on its descriptor, so Start neither changes its flags
// (the user's shell shares them) nor leaves a reader behind that would eat a
// keystroke after the session ends.
func Start(master, in, out *os.File) (s *Session, err error) {
	s = &Session{in: in, out: out, inFd: -1, termFd: -1, stopR: -1, stopW: -1,
		inDone: make(chan struct{}), outDone: make(chan struct{}), winchDone: make(chan struct{})}
	defer func() {
		if err != nil {
			s.cleanupFailedStart()
		}
	}()

	// A private non-blocking duplicate goes into Go's poller, so that Close
	// can interrupt a Read or Write blocked on it; the caller's file may be a
	// blocking one (as RecvFd returns it).
	mfd, err := fdOf(master)
	if err != nil {
		return nil, fmt.Errorf("terminal master: %w", err)
	}
	dup, err := unix.FcntlInt(uintptr(mfd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("duplicate terminal master: %w", err)
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("make terminal master non-blocking: %w", err)
	}
	s.master = os.NewFile(uintptr(dup), master.Name())
	master.Close()

	switch {
	case in != nil && IsTerminal(in):
		s.termFd, _ = fdOf(in)
	case out != nil && IsTerminal(out):
		s.termFd, _ = fdOf(out)
	}
	if s.termFd >= 0 {
		s.resize()
		s.winch = make(chan os.Signal, 1)
		signal.Notify(s.winch, syscall.SIGWINCH)
	}

	if in != nil {
		if s.inFd, err = fdOf(in); err != nil {
			return nil, fmt.Errorf("terminal input: %w", err)
		}
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return nil, fmt.Errorf("create wake-up pipe: %w", err)
		}
		s.stopR, s.stopW = p[0], p[1]
		if IsTerminal(in) {
			if s.state, err = term.MakeRaw(s.inFd); err != nil {
				return nil, fmt.Errorf("put the terminal in raw mode: %w", err)
			}
		}
	}

	if s.winch != nil {
		go s.followWinch()
	} else {
		close(s.winchDone)
	}
	if in != nil {
		go s.copyIn()
	} else {
		close(s.inDone)
	}
	go s.copyOut()
	return s, nil
}

// cleanupFailedStart undoes a Start that failed half-way.
func (s *Session) cleanupFailedStart() {
	if s.winch != nil {
		signal.Stop(s.winch)
	}
	if s.master != nil {
		s.master.Close()
	}
	if s.stopR >= 0 {
		unix.Close(s.stopR)
		unix.Close(s.stopW)
	}
	_ = s.Restore()
}

// Wait waits until the container side of the terminal is closed (every
// process holding the slave has exited or closed it), having copied every
// byte it wrote to out, then stops the relay and restores the user's
// terminal like Close. Call it after the container's init has been reaped:
// the kernel keeps the output in the pseudo-terminal until it is read, and
// reading the master returns EIO only once it is drained, so the tail of the
// output is never lost. It returns the first error of the relay or of the
// restoration.
func (s *Session) Wait() error {
	<-s.outDone
	return s.Close()
}

// Close stops the relay now, without waiting for the container's output
// (for error paths), closes the master and restores the user's terminal. It
// is safe to call more than once and concurrently with Wait; later calls
// return the first call's result.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		if s.winch != nil {
			signal.Stop(s.winch)
			close(s.winch)
		}
		if s.stopW >= 0 {
			unix.Close(s.stopW)
		}
		// Closing the master interrupts a Read (output) and a Write (input
		// to a container that does not read) blocked on it.
		mErr := s.master.Close()
		<-s.outDone
		<-s.inDone
		<-s.winchDone
		if s.stopR >= 0 {
			unix.Close(s.stopR)
		}
		rErr := s.Restore()
		switch {
		case s.readErr != nil:
			s.closeErr = fmt.Errorf("read from the container's terminal: %w", s.readErr)
		case s.outErr != nil:
			s.closeErr = fmt.Errorf("write to the terminal: %w", s.outErr)
		case s.inErr != nil:
			s.closeErr = fmt.Errorf("read from the terminal: %w", s.inErr)
		case rErr != nil:
			s.closeErr = rErr
		case mErr != nil && !errors.Is(mErr, os.ErrClosed):
			s.closeErr = fmt.Errorf("close the container's terminal: %w", mErr)
		}
	})
	return s.closeErr
}

// Restore puts the user's terminal back in the mode it had before Start,
// byte for byte. It is idempotent, cheap and safe to call from any goroutine,
// including one handling SIGTERM or SIGHUP before urun exits; the relay keeps
// running (output then goes through the restored mode).
func (s *Session) Restore() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil || s.restored {
		return nil
	}
	s.restored = true
	if err := term.Restore(s.inFd, s.state); err != nil {
		return fmt.Errorf("restore the terminal mode: %w", err)
	}
	return nil
}

// Resize copies the user's terminal's window size to the container's
// terminal now. The session already does it on SIGWINCH.
func (s *Session) Resize() error {
	if s.termFd < 0 {
		return nil
	}
	ws, err := unix.IoctlGetWinsize(s.termFd, unix.TIOCGWINSZ)
	if err != nil {
		return fmt.Errorf("get the terminal's window size: %w", err)
	}
	if ws.Row == 0 || ws.Col == 0 {
		// An unset size (a fresh pty nobody sized): keep the container's.
		return nil
	}
	return setWinsize(s.master, ws)
}

func (s *Session) resize() { _ = s.Resize() } // best effort: a lost resize is redone on the next SIGWINCH

func (s *Session) followWinch() {
	defer close(s.winchDone)
	for range s.winch {
		s.resize()
	}
}

// copyOut copies the container's output to out until the master reports
// that the slave side is closed and drained (EIO), or the master is closed.
func (s *Session) copyOut() {
	defer close(s.outDone)
	buf := make([]byte, bufSize)
	for {
		n, err := s.master.Read(buf)
		if n > 0 && s.out != nil && s.outErr == nil {
			// After a failed write keep reading and dropping: a container
			// blocked on a full terminal would never exit.
			if _, werr := s.out.Write(buf[:n]); werr != nil {
				s.outErr = werr
			}
		}
		if err != nil {
			if !errors.Is(err, syscall.EIO) && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				s.readErr = err
			}
			return
		}
	}
}

// copyIn copies the user's input to the container until in ends, the master
// is closed or Close wakes it through the stop pipe.
func (s *Session) copyIn() {
	defer close(s.inDone)
	buf := make([]byte, bufSize)
	fds := []unix.PollFd{
		{Fd: int32(s.inFd), Events: unix.POLLIN},
		{Fd: int32(s.stopR), Events: unix.POLLIN},
	}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			s.inErr = err
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			return
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(s.inFd, buf)
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if n <= 0 {
			// EOF, or EIO: nothing more to send, and no error of the relay.
			// From a terminal (raw mode: a read returns at least one byte)
			// either means it hung up: the user closed the window or logged
			// out. Hang up the container's terminal too, as the kernel does
			// for a local shell, so its session gets SIGHUP and ends
			// instead of waiting for input that can never come.
			if s.state != nil {
				s.master.Close()
			}
			return
		}
		if _, err := s.master.Write(buf[:n]); err != nil {
			return
		}
	}
}
