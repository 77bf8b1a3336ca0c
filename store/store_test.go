package store

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/wire"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	d := t.TempDir()
	os.Chmod(d, 0o700)
	s, err := Open(d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// self is a record supervised by this test process, so it stays alive.
func self(id, name string) *Record {
	st, _ := StartTime(os.Getpid())
	return &Record{ID: id, Name: name, Status: Running, MonitorPid: os.Getpid(), MonitorStart: st, Detached: true}
}

func TestNewID(t *testing.T) {
	a, b := NewID(), NewID()
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(a) || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
}

func TestBasePrefersPrivateRuntimeDir(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("SKIP: root's store is /run/urun whatever XDG_RUNTIME_DIR says")
	}
	rt := t.TempDir()
	os.Chmod(rt, 0o700)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	got, err := Base("")
	if err != nil || got != filepath.Join(rt, "urun") {
		t.Fatalf("Base = %q, %v", got, err)
	}
}

func TestBaseOverrideMustBePrivate(t *testing.T) {
	d := t.TempDir()
	os.Chmod(d, 0o755)
	if _, err := Base(d); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("Base(%s) with mode 0755: %v", d, err)
	}
}

func TestCreateLookupUpdateRemove(t *testing.T) {
	s := newStore(t)
	r := self("abc123def456", "web")
	if err := s.Create(r); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(self("abc999999999", "web")); !errors.Is(err, ErrNameInUse) || !strings.Contains(err.Error(), "abc123def456") {
		t.Fatalf("second create of name web: %v", err)
	}
	if err := s.Create(self("abc777777777", "")); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"web", "abc123def456", "abc1"} {
		got, err := s.Lookup(ref)
		if err != nil || got.ID != r.ID {
			t.Errorf("Lookup(%q) = %v, %v", ref, got, err)
		}
	}
	if _, err := s.Lookup("abc"); err == nil || !strings.Contains(err.Error(), "abc123def456 (web)") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := s.Lookup("nope"); err == nil || !strings.Contains(err.Error(), "no such container: nope") {
		t.Errorf("unknown: %v", err)
	}
	code := 3
	if _, err := s.Update(r.ID, func(r *Record) error { r.Status, r.ExitCode = Exited, &code; return nil }); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Lookup("web")
	if got.Status != Exited || *got.ExitCode != 3 {
		t.Errorf("after update: %+v", got)
	}
	if err := s.Remove(r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(self("abc555555555", "web")); err != nil {
		t.Errorf("name web after rm: %v", err)
	}
}

// A record whose monitor is gone reads as exited; a foreground one is
// collected and frees its name.
func TestDeadRecords(t *testing.T) {
	s := newStore(t)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	det := &Record{ID: "111111111111", Name: "bg", Status: Running, MonitorPid: dead, Detached: true}
	fg := &Record{ID: "222222222222", Name: "fg", Status: Running, MonitorPid: dead}
	for _, r := range []*Record{det, fg} {
		if err := s.Create(r); err != nil {
			t.Fatal(err)
		}
	}
	s.WriteExit(det.ID, 137)
	recs, err := s.List()
	if err != nil || len(recs) != 1 {
		t.Fatalf("List = %v, %v", recs, err)
	}
	if recs[0].Status != Exited || recs[0].ExitCode == nil || *recs[0].ExitCode != 137 {
		t.Errorf("dead detached: %+v", recs[0])
	}
	if _, err := os.Stat(s.Dir(fg.ID)); !os.IsNotExist(err) {
		t.Errorf("foreground leftover not collected: %v", err)
	}
	if err := s.Create(self("333333333333", "fg")); err != nil {
		t.Errorf("name of a dead foreground run: %v", err)
	}
}

func TestConcurrentNames(t *testing.T) {
	s := newStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Create(self(NewID(), "same"))
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates of one name succeeded, want 1", ok)
	}
}

func TestCheckName(t *testing.T) {
	for _, n := range []string{"a", "web-1", "x.y_z"} {
		if CheckName(n) != nil {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range []string{"", "-a", "a/b", "a b", "../x"} {
		if CheckName(n) == nil {
			t.Errorf("%q accepted", n)
		}
	}
}

// The hand-written name rule agrees with docker's regular expression.
func FuzzCheckNameAgreesWithDockersRule(f *testing.F) {
	rule := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	for _, s := range []string{"a", "web-1", "x.y_z", "", "-a", "_a", ".a", "a/b", "a b", "../x", "a\n", "é", "A9._-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := CheckName(s) == nil, len(s) <= 128 && rule.MatchString(s); got != want {
			t.Fatalf("CheckName(%q) accepts: %v, docker's rule: %v", s, got, want)
		}
	})
}

// A container started by another build of urun (an upgrade while it runs):
// its spec as the config.json of older builds, or in another build's wire
// form, is refused with one line that says so.
func TestSpecOfAnotherBuild(t *testing.T) {
	s := newStore(t)
	for name, write := range map[string]func(id string) error{
		"config.json of an older build": func(id string) error {
			return os.WriteFile(s.Path(id, "config.json"), []byte(`{"ociVersion":"1.0.0"}`), 0o600)
		},
		"another build's spec file": func(id string) error {
			b, err := wire.Marshal(&struct{ Version string }{"1.0.0"})
			if err != nil {
				return err
			}
			return os.WriteFile(s.Path(id, SpecFile), b, 0o600)
		},
	} {
		r := self(NewID(), "")
		if err := s.Create(r); err != nil {
			t.Fatal(err)
		}
		if err := write(r.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.ReadSpec(r.ID)
		if err == nil || !strings.Contains(err.Error(), "started by another build of urun") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: ReadSpec error %v, want one line saying another build started it", name, err)
		}
	}
}

func TestStartTime(t *testing.T) {
	a, err := StartTime(os.Getpid())
	if err != nil || a == 0 {
		t.Fatalf("StartTime = %d, %v", a, err)
	}
}

func TestIsInitialUIDMap(t *testing.T) {
	for m, want := range map[string]bool{
		"         0          0 4294967295\n":                                   true,
		"         0       1001          1\n         1     100000      65535\n": false,
		"0 0 65536\n": false,
		"":            false,
	} {
		if got := isInitialUIDMap(m); got != want {
			t.Errorf("isInitialUIDMap(%q) = %v, want %v", m, got, want)
		}
	}
}

func TestHandedOffLivesWithItsPid1(t *testing.T) {
	s := newStore(t)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	myStart, err := StartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// The monitor is gone; PID 1 (this test process) lives on.
	live := &Record{ID: "oci-live", Name: "oci-live", Status: Running, MonitorPid: dead, Detached: true, HandedOff: true,
		Pid: os.Getpid(), PidStart: myStart, Bundle: "/b"}
	gone := &Record{ID: "oci-gone", Name: "oci-gone", Status: Running, MonitorPid: dead, Detached: true, HandedOff: true,
		Pid: dead, PidStart: 1, Bundle: "/b"}
	for _, r := range []*Record{live, gone} {
		if err := s.Create(r); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := s.Get("oci-live"); err != nil || r.Status != Running {
		t.Errorf("handed off, PID 1 alive: %+v, %v; want running", r, err)
	}
	if r, err := s.Get("oci-gone"); err != nil || r.Status != Exited || r.Error != "" {
		t.Errorf("handed off, PID 1 gone: %+v, %v; want exited, no error", r, err)
	}
}

func TestBaseMakesTheParentsOfAnEnginesRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "containerd", "runc", "default")
	got, err := Base(root)
	if err != nil {
		t.Fatalf("Base(%s): %v", root, err)
	}
	if got != root {
		t.Errorf("Base(%s) = %s", root, got)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v %v", root, st, err)
	}
}

// A record's limits read back as they were written, in the spec's own JSON.
func TestRecordLimitsRoundTrip(t *testing.T) {
	limit := int64(64 << 20)
	r := Record{ID: "x", Limits: &Resources{Memory: &specs.LinuxMemory{Limit: &limit}}}
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"limits":{"memory":{"limit":67108864}}`) {
		t.Fatalf("record JSON %s: want the spec's form of the limits", b)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil || back.Limits == nil || *back.Limits.Memory.Limit != limit {
		t.Fatalf("read back %+v, %v", back.Limits, err)
	}
	if b, _ := json.Marshal(&Record{}); strings.Contains(string(b), "limits") {
		t.Errorf("a record without limits: %s", b)
	}
}

// The spec a container runs reads back whole (exec and inspect use it),
// hooks and an OCI bundle's Windows credential spec included.
func TestSpecRoundTrip(t *testing.T) {
	s := newStore(t)
	r := self(NewID(), "")
	if err := s.Create(r); err != nil {
		t.Fatal(err)
	}
	timeout := 5
	in := &specs.Spec{
		Version: specs.Version, Hostname: "h",
		Process: &specs.Process{Args: []string{"sh"}, Env: []string{"A=1"}, Cwd: "/"},
		Root:    &specs.Root{Path: "/r"},
		Hooks:   &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true", Timeout: &timeout}}},
		Linux:   &specs.Linux{MaskedPaths: []string{"/proc/kcore"}, Sysctl: map[string]string{"a": "b"}},
		Windows: &specs.Windows{CredentialSpec: map[string]any{"x": "y"}},
	}
	if err := s.WriteSpec(r.ID, in); err != nil {
		t.Fatal(err)
	}
	out, err := s.ReadSpec(r.ID)
	if err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("ReadSpec = %+v, %v; want %+v", out, err, in)
	}
	if _, err := s.ReadSpec(NewID()); err == nil {
		t.Error("ReadSpec of a container without a spec: no error")
	}
}
