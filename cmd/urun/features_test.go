package main

import (
	"encoding/json"
	"io"
	"os"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// TestFeaturesListsWhatUrunSupports: `urun features` prints JSON an engine
// can parse, with the versions, hooks, namespaces and seccomp actions urun
// accepts, and security modules it does not have marked disabled.
func TestFeaturesListsWhatUrunSupports(t *testing.T) {
	out := captureStdout(t, func() {
		if status := run([]string{"features"}); status != 0 {
			t.Fatalf("status %d", status)
		}
	})
	var f features.Features
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if f.OCIVersionMin != "1.0.0" || f.OCIVersionMax != specs.Version {
		t.Errorf("versions %s..%s", f.OCIVersionMin, f.OCIVersionMax)
	}
	for _, h := range []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"} {
		if !slices.Contains(f.Hooks, h) {
			t.Errorf("hook %s missing from %v", h, f.Hooks)
		}
	}
	for _, o := range []string{"ro", "rbind", "nosuid", "rprivate"} {
		if !slices.Contains(f.MountOptions, o) {
			t.Errorf("mount option %s missing", o)
		}
	}
	l := f.Linux
	if l == nil || !slices.Contains(l.Namespaces, "user") || slices.Contains(l.Namespaces, "time") {
		t.Fatalf("namespaces: %+v", l)
	}
	if !slices.Contains(l.Capabilities, "CAP_SYS_ADMIN") {
		t.Error("capabilities")
	}
	if l.Seccomp == nil || l.Seccomp.Enabled == nil || !*l.Seccomp.Enabled {
		t.Fatalf("seccomp: %+v", l.Seccomp)
	}
	for _, a := range []string{"SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_LOG"} {
		if !slices.Contains(l.Seccomp.Actions, a) {
			t.Errorf("seccomp action %s missing from %v", a, l.Seccomp.Actions)
		}
	}
	if slices.Contains(l.Seccomp.Actions, "SCMP_ACT_NOTIFY") {
		t.Error("SCMP_ACT_NOTIFY listed: urun has no seccomp agent")
	}
	if !slices.Contains(l.Seccomp.Operators, "SCMP_CMP_MASKED_EQ") || !slices.Contains(l.Seccomp.Archs, "SCMP_ARCH_X86_64") {
		t.Errorf("operators %v archs %v", l.Seccomp.Operators, l.Seccomp.Archs)
	}
	for name, e := range map[string]*bool{"apparmor": l.Apparmor.Enabled, "selinux": l.Selinux.Enabled, "intelRdt": l.IntelRdt.Enabled} {
		if e == nil || *e {
			t.Errorf("%s is not marked disabled", name)
		}
	}
	if l.Cgroup == nil || !*l.Cgroup.V2 || *l.Cgroup.V1 {
		t.Errorf("cgroup: %+v", l.Cgroup)
	}
}

func captureStdout(t *testing.T, f func()) []byte {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	f()
	os.Stdout = old
	w.Close()
	return <-done
}
