package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/pty"
	"golang.org/x/term"
)

// AttachCmd is `urun attach`.
type AttachCmd struct {
	DetachKeys string `name:"detach-keys" help:"Keys that detach from the container and leave it running, docker's spelling (ctrl-<x> and single characters, comma-separated; \"\" for none)." default:"ctrl-p,ctrl-q" placeholder:"KEYS"`
	NoStdin    bool   `name:"no-stdin" help:"Do not pass your input to the container."`
	Container  string `arg:"" help:"Id, id prefix or name."`
}

// Run attaches the user's terminal (or stdin and stdout) to a detached
// container through its monitor until the container exits (urun exits with
// its status) or the user types the detach keys (status 0; the container
// goes on).
func (a *AttachCmd) Run() error {
	keys, err := monitor.ParseDetachKeys(a.DetachKeys)
	if err != nil {
		return usageError(err)
	}
	st, r, err := lookup(a.Container)
	if err != nil {
		return usageError(err)
	}
	c, err := dial(st, r, "attach to")
	if err != nil {
		return usageError(err)
	}
	defer c.Close()
	stdin := !a.NoStdin
	if err := c.Send(monitor.Message{Type: monitor.TAttach, Value: b2i(stdin)}); err != nil {
		return usageError(fmt.Errorf("attaching to container %s: %w", r.Name, err))
	}
	if m, err := c.Recv(); err != nil || m.Type != monitor.TOK {
		if err == nil && m.Type == monitor.TExit {
			return exitError(m.Value)
		}
		return usageError(errNotRunning(r, "attach to"))
	}
	inFd := int(os.Stdin.Fd())
	if r.TTY && term.IsTerminal(inFd) {
		old, err := term.MakeRaw(inFd)
		if err != nil {
			return usageError(fmt.Errorf("putting the terminal in raw mode: %w", err))
		}
		// Restored on every way out, before anything is printed.
		defer term.Restore(inFd, old)
		sendSize(c)
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				sendSize(c)
			}
		}()
	}
	detached := make(chan struct{})
	if stdin {
		go copyStdin(c, keys, r.TTY, detached)
	}
	for {
		select {
		case <-detached:
			return nil
		default:
		}
		m, err := c.Recv()
		if err != nil {
			select {
			case <-detached:
				return nil
			default:
			}
			// The monitor went away without a status: the record
			// knows how the container ended.
			code, werr := waitOne(st, r)
			if werr != nil {
				return usageError(werr)
			}
			return exitError(code)
		}
		switch m.Type {
		case monitor.TStdout:
			_, _ = os.Stdout.Write(m.Data)
		case monitor.TStderr:
			_, _ = os.Stderr.Write(m.Data)
		case monitor.TExit:
			return exitError(m.Value)
		}
	}
}

// copyStdin sends the user's input, holding back what may be the detach
// keys; on the full sequence it closes detached and the connection, which
// ends the attach and leaves the container running.
func copyStdin(c *monitor.Conn, keys []byte, tty bool, detached chan struct{}) {
	d := &monitor.DetachMatcher{Keys: keys}
	if !tty {
		// Detach keys are a terminal's: piped input passes as it is.
		d.Keys = nil
	}
	buf := make([]byte, 16<<10)
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			out, det := d.Feed(buf[:n])
			if len(out) > 0 {
				_ = c.Send(monitor.Message{Type: monitor.TStdin, Data: out})
			}
			if det {
				close(detached)
				c.Close()
				return
			}
		}
		if err != nil {
			_ = c.Send(monitor.Message{Type: monitor.TStdinClose})
			return
		}
	}
}

func sendSize(c *monitor.Conn) {
	if rows, cols, err := pty.GetSize(os.Stdin); err == nil && rows > 0 && cols > 0 {
		_ = c.Send(monitor.Message{Type: monitor.TResize, Rows: rows, Cols: cols})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
