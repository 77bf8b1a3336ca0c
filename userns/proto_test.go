package userns

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/wire"
	"github.com/urun-dev/urun/mount"
	"github.com/urun-dev/urun/seccomp"
	"github.com/urun-dev/urun/spec"
)

// The stage must get the config the parent built, every field of it: the
// spec's mounts, masked paths, limits and process, the overlay and the
// compiled filter (package wire carries it; JSON did before).
func TestConfigReachesTheStageWhole(t *testing.T) {
	s, err := spec.New(spec.Options{
		Rootfs: t.TempDir(), Args: []string{"/bin/sh", "-c", "echo hi"}, Env: []string{"A=1"},
		Workdir: "/srv", Hostname: "box", NetNS: true,
		Mounts: []specs.Mount{{Destination: "/data", Source: "/tmp", Type: "bind", Options: []string{"rbind", "ro"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	limit, pids := int64(64<<20), int64(100)
	s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids}}
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 512}}
	s.Annotations = map[string]string{spec.OverlayAnnotation: ""}
	profile, err := seccomp.Default(spec.DefaultCaps)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := seccomp.Compile(profile)
	if err != nil {
		t.Fatal(err)
	}
	in := Config{
		Spec: s, CgroupRequired: true, GID5Mapped: true, HaveScope: true,
		Overlay: &mount.Overlay{Lower: []string{"/l1", "/rootfs"}}, ConsoleFd: 7,
		EarlyTerminal: true, Gated: true, HandOff: true, Seccomp: prog,
	}
	b, err := wire.Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out Config
	if err := wire.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("the stage got another config:\nsent %+v\ngot  %+v", in.Spec, out.Spec)
	}
	if len(out.Spec.Linux.MaskedPaths) == 0 || len(out.Seccomp.Insns) == 0 {
		t.Fatal("the masked paths or the filter are missing")
	}
	t.Logf("%d bytes", len(b))
}
