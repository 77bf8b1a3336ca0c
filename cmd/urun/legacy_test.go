package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestLegacyArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"-rootfs ./rootfs -mem 100M -cpu 0.5 -cmd |echo hello; sleep 5", []string{"run", "--memory=100M", "--cpus=0.5", "--", "./rootfs", "/bin/sh", "-c", "echo hello; sleep 5"}, false},
		{"-rootfs=./r", []string{"run", "--", "./r"}, false},
		{"--rootfs ./r", []string{"--rootfs", "./r"}, false},
		{"-cmd |ls", nil, true},
		{"-rootfs ./r -v x", nil, true},
		{"-rootfs", nil, true},
		{"./rootfs -rootfs", []string{"./rootfs", "-rootfs"}, false},
		{"run -e A=1 ./r", []string{"run", "-e", "A=1", "./r"}, false},
	} {
		// "|" starts an argument that runs to the end of the line.
		var in []string
		head, tail, hasTail := strings.Cut(tc.in, "|")
		in = strings.Fields(head)
		if hasTail {
			in = append(in, tail)
		}
		got, err := legacyArgs(in)
		if (err != nil) != tc.err || (!tc.err && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("legacyArgs(%q) = %q, %v; want %q, error %v", in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzLegacyArgs(f *testing.F) {
	f.Add("-rootfs\x00./r\x00-cmd\x00echo hi")
	f.Add("-cmd=x\x00-rootfs=y\x00-mem")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		out, err := legacyArgs(args)
		if err == nil && len(out) == 0 && len(args) > 0 && args[0] != "" {
			t.Fatalf("legacyArgs(%q) returned nothing", args)
		}
	})
}
