package spec

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestNewSeccomp(t *testing.T) {
	s, err := New(Options{Rootfs: "/r", Args: []string{"true"}, Workdir: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno {
		t.Fatalf("no default profile: %+v", s.Linux.Seccomp)
	}
	s, err = New(Options{Rootfs: "/r", Args: []string{"true"}, Workdir: "/", Security: SecurityOpts{Seccomp: "unconfined"}})
	if err != nil || s.Linux.Seccomp != nil {
		t.Fatalf("unconfined: %v, %+v", err, s.Linux.Seccomp)
	}
	_, err = New(Options{Rootfs: "/r", Args: []string{"true"}, Workdir: "/", Security: SecurityOpts{Seccomp: "/nonexistent.json"}})
	if err == nil || !strings.HasPrefix(err.Error(), "--security-opt seccomp=/nonexistent.json: reading the profile: ") {
		t.Fatalf("missing file: %v", err)
	}
}
