package state

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestNewID(t *testing.T) {
	a, b := NewID(), NewID()
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(a) || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
}

func TestBasePrefersPrivateRuntimeDir(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("SKIP: root's state is /run/urun whatever XDG_RUNTIME_DIR says (TestRootBase)")
	}
	rt := t.TempDir()
	os.Chmod(rt, 0o700)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	got, err := Base()
	if err != nil || got != filepath.Join(rt, "urun") {
		t.Fatalf("Base = %q, %v", got, err)
	}
	st, _ := os.Stat(got)
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
}

func TestBaseRefusesOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "urun")
	os.Mkdir(bad, 0o777)
	os.Chmod(bad, 0o777)
	_, err := ensure(bad, os.Getuid())
	if err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("want a mode error naming the fix, got %v", err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(t.TempDir(), link)
	if _, err := ensure(link, os.Getuid()); err == nil {
		t.Fatal("a symlink was accepted as the state directory")
	}
	if _, err := ensure(t.TempDir(), os.Getuid()+1); err == nil {
		t.Fatal("a directory of another uid was accepted")
	}
}

func TestCreateRemoveCollect(t *testing.T) {
	base := t.TempDir()
	live, err := Create(base, "live")
	if err != nil {
		t.Fatal(err)
	}
	// A dead run: its directory exists but nobody holds the lock.
	dead := filepath.Join(base, "dead")
	os.Mkdir(dead, 0o700)
	os.WriteFile(filepath.Join(dead, "lock"), nil, 0o600)
	other, err := Create(base, "other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead run's directory was not collected")
	}
	if _, err := os.Stat(live.Path); err != nil {
		t.Errorf("the live run's directory was collected: %v", err)
	}
	for _, d := range []*Dir{live, other} {
		if err := d.Remove(); err != nil {
			t.Fatal(err)
		}
		if err := d.Remove(); err != nil {
			t.Fatalf("second Remove: %v", err)
		}
	}
	ents, _ := os.ReadDir(base)
	if len(ents) != 0 {
		t.Fatalf("left: %v", ents)
	}
}

// TestBaseNamesTheSquatter: a fallback directory, or a symlink in its place,
// made by another user is refused with one line naming that user and the fix.
func TestBaseNamesTheSquatter(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root to make files of another uid")
	}
	dir := t.TempDir()
	squat := filepath.Join(dir, "urun-1")
	os.Mkdir(squat, 0o777)
	os.Chown(squat, 0, 0)
	link := filepath.Join(dir, "urun-2")
	os.Symlink(t.TempDir(), link)
	os.Lchown(link, 0, 0)
	for _, p := range []string{squat, link} {
		_, err := ensure(p, 4242)
		if err == nil {
			t.Fatalf("%s of uid 0 accepted for uid 4242", p)
		}
		msg := err.Error()
		if !strings.Contains(msg, "uid 0 (root)") || !strings.Contains(msg, "XDG_RUNTIME_DIR") || strings.Contains(msg, "\n") {
			t.Errorf("want one line naming uid 0 (root) and XDG_RUNTIME_DIR, got %q", msg)
		}
	}
}

// TestRootBase: root's state lives in /run/urun (here a stand-in), private.
func TestRootBase(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root")
	}
	saved := rootBase
	rootBase = filepath.Join(t.TempDir(), "urun")
	t.Cleanup(func() { rootBase = saved })
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	got, err := Base()
	if err != nil || got != rootBase {
		t.Fatalf("Base = %q, %v; want %s", got, err, rootBase)
	}
	if st, err := os.Stat(got); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v, %v", got, st, err)
	}
}
