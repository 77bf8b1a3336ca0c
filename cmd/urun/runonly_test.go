package main

import (
	"reflect"
	"testing"
)

// The run-only parser is a shortcut: `urun run ...` must parse exactly as
// with the whole CLI, and anything else must take the whole CLI.
func TestRunOnlyParserParsesAsTheWholeCLI(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--network", "none", "-e", "A=1", "--pids-limit", "-1", "-w", "/tmp", "./rootfs", "ls", "-l", "--pids-limit", "-2"},
		{"run", "-d", "--name", "x", "--rm", "-p", "127.0.0.1:8080:80", "--memory", "64m", "./rootfs"},
		{"run", "-it", "--userns", "keep-id", "--security-opt", "no-new-privileges", "--init", "./rootfs", "sh"},
		// Errors too: the run-only model has no help texts, and needs none.
		{"run", "--no-such-flag", "./rootfs"},
		{"run", "--pull", "sometimes", "img"},
		{"run", "--memory"},
		{"run"},
	} {
		var whole CLI
		wp, err := newParser(&whole)
		if err != nil {
			t.Fatal(err)
		}
		_, werr := wp.Parse(args)
		p, g, err := runOnlyParser(args)
		if p == nil || err != nil {
			t.Fatalf("runOnlyParser(%q) = %v, %v: want a parser", args, p, err)
		}
		_, rerr := p.Parse(args)
		if werr != nil {
			t.Logf("%q: %v", args, werr)
		}
		if (werr == nil) != (rerr == nil) || (werr != nil && werr.Error() != rerr.Error()) {
			t.Fatalf("%q: whole CLI error %v, run-only error %v", args, werr, rerr)
		}
		cli := p.Model.Target.Addr().Interface().(*runOnlyCLI)
		if !reflect.DeepEqual(cli.Run, whole.Run) || g != &cli.Globals {
			t.Errorf("%q parses differently:\nwhole    %+v\nrun-only %+v", args, whole.Run, cli.Run)
		}
	}
	for _, args := range [][]string{nil, {"ps"}, {"./rootfs", "ls"}, {"--root", "/x", "run", "./rootfs"}, {"run", "--help"}, {"run", "-h"}} {
		if p, _, _ := runOnlyParser(args); p != nil {
			t.Errorf("runOnlyParser(%q) took the shortcut; want the whole CLI", args)
		}
	}
}

func BenchmarkRunOnlyParser(b *testing.B) {
	args := []string{"run", "--network", "none", "./rootfs", "/bin/true"}
	for b.Loop() {
		p, _, err := runOnlyParser(args)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Parse(args); err != nil {
			b.Fatal(err)
		}
	}
}
