package main

import (
	"reflect"
	"testing"
)

// TestParseNegativeValues: values that start with '-' belong to their flag,
// as in docker and podman (--pids-limit -1 is podman's "no limit").
func TestParseNegativeValues(t *testing.T) {
	var cli CLI
	parser, err := newParser(&cli)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.Parse([]string{"run", "--pids-limit", "-1", "--memory-swap", "-1", "./rootfs", "ls", "-l", "--pids-limit", "-2"}); err != nil {
		t.Fatal(err)
	}
	r := cli.Run
	if r.PidsLimit != -1 || r.MemorySwap != "-1" {
		t.Errorf("flags: pids %d, swap %q", r.PidsLimit, r.MemorySwap)
	}
	if !reflect.DeepEqual(r.Command, []string{"ls", "-l", "--pids-limit", "-2"}) {
		t.Errorf("command %q: the command's own arguments must stay as typed", r.Command)
	}
}
