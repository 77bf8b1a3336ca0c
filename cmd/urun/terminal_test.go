package main

import (
	"errors"
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/pty"
)

func TestTerminalDecision(t *testing.T) {
	master, slave, err := pty.Open("/dev/ptmx")
	if err != nil {
		t.Skipf("SKIP: no pseudo-terminal here: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	yes, no := true, false
	for _, tc := range []struct {
		name          string
		flag          *bool
		stdin, stdout *os.File
		want          bool
		err           error
	}{
		{"terminal, no flag", nil, slave, slave, true, nil},
		{"pipe, no flag", nil, r, slave, false, nil},
		{"output redirected, no flag", nil, slave, w, false, nil},
		{"terminal, -t", &yes, slave, slave, true, nil},
		{"output redirected, -t", &yes, slave, w, true, nil},
		{"pipe, -t", &yes, r, slave, false, errNotATTY},
		{"terminal, --no-tty", &no, slave, slave, false, nil},
		{"pipe, --no-tty", &no, r, r, false, nil},
	} {
		got, err := (&ProcessFlags{TTY: tc.flag}).terminal(tc.stdin, tc.stdout)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s: got %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestWithTerminal(t *testing.T) {
	master, slave, err := pty.Open("/dev/ptmx")
	if err != nil {
		t.Skipf("SKIP: no pseudo-terminal here: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	if err := pty.SetSize(master, 33, 111); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TERM", "screen")
	s := &specs.Spec{Process: &specs.Process{Env: []string{"PATH=/bin"}}}
	withTerminal(s, slave)
	if !s.Process.Terminal || s.Process.ConsoleSize == nil || *s.Process.ConsoleSize != (specs.Box{Height: 33, Width: 111}) {
		t.Errorf("terminal %v, console size %+v; want true, 33x111", s.Process.Terminal, s.Process.ConsoleSize)
	}
	if got := s.Process.Env[len(s.Process.Env)-1]; got != "TERM=screen" {
		t.Errorf("last env entry %q, want the user's TERM=screen", got)
	}
	// -e TERM=... wins.
	s = &specs.Spec{Process: &specs.Process{Env: []string{"TERM=vt100"}}}
	withTerminal(s, slave)
	if len(s.Process.Env) != 1 {
		t.Errorf("env %v: an explicit TERM must be kept alone", s.Process.Env)
	}
}
