package main

import (
	"errors"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/pty"
)

// errNotATTY is docker's message for -it without a terminal, kept word for
// word so scripts and people recognise it.
var errNotATTY = errors.New("the input device is not a TTY; run urun from a terminal, or drop -t/--tty to use pipes")

// terminal decides whether the container gets a terminal: the user's choice
// (-t, --no-tty), else whether both stdin and stdout are terminals, so that
// `urun ROOTFS` typed at a shell prompt is interactive while the same command
// in a CI job, a pipe or with its output redirected to a file keeps plain
// pipes (a terminal would turn the file's line ends into CR LF).
func (r *ProcessFlags) terminal(stdin, stdout *os.File) (bool, error) {
	isTTY := pty.IsTerminal(stdin)
	switch {
	case r.TTY == nil:
		return isTTY && pty.IsTerminal(stdout), nil
	case *r.TTY && !isTTY:
		return false, errNotATTY
	default:
		return *r.TTY, nil
	}
}

// withTerminal completes the spec of a run with a terminal: the window size
// the init stage gives the terminal before the command starts, and the
// user's TERM (docker passes xterm) unless -e set one.
func withTerminal(s *specs.Spec, stdin *os.File) {
	s.Process.Terminal = true
	if rows, cols, err := pty.GetSize(stdin); err == nil && rows > 0 && cols > 0 {
		s.Process.ConsoleSize = &specs.Box{Height: uint(rows), Width: uint(cols)}
	}
	for _, kv := range s.Process.Env {
		if strings.HasPrefix(kv, "TERM=") {
			return
		}
	}
	term := os.Getenv("TERM")
	if term == "" {
		term = "xterm"
	}
	s.Process.Env = append(s.Process.Env, "TERM="+term)
}
