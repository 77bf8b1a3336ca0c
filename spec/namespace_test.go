package spec

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestNewNamespace(t *testing.T) {
	ns := []specs.LinuxNamespace{{Type: specs.CgroupNamespace, Path: "/proc/1/ns/cgroup"}, {Type: specs.NetworkNamespace}}
	if NewNamespace(ns, specs.CgroupNamespace) {
		t.Error("a joined cgroup namespace reads as new")
	}
	if !NewNamespace(ns, specs.NetworkNamespace) {
		t.Error("a new network namespace reads as not new")
	}
	if NewNamespace(ns, specs.UserNamespace) {
		t.Error("a namespace not listed reads as new")
	}
}
