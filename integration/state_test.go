package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/urun-dev/urun/internal/testutil"
)

// TestSquattedStateDirectory is finding 6 as a second user on the host tries
// it: uruntest2 creates /tmp/urun-UID of uruntest first (a directory, then a
// symlink to a directory of its own). uruntest's run refuses with one line
// naming uruntest2 and the fix (status 125) and leaves nothing in the
// squatter's directory; with XDG_RUNTIME_DIR set it runs.
func TestSquattedStateDirectory(t *testing.T) {
	e := user(t)
	mallory := testutil.Get(t, testutil.RangelessUser)
	base := filepath.Join(os.TempDir(), "urun-"+strconv.Itoa(e.UID))
	// The user's own (empty) fallback goes aside for the test.
	saved := base + ".saved-by-test"
	if err := os.Rename(base, saved); err == nil {
		t.Cleanup(func() { os.RemoveAll(base); os.Rename(saved, base) })
	} else {
		t.Cleanup(func() { os.RemoveAll(base) })
	}
	asMallory := func(args ...string) {
		t.Helper()
		cmd := mallory.Command()
		cmd.Path, cmd.Args = args[0], args
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v as %s: %v: %s", args, mallory.User, err, out)
		}
	}
	trap, err := os.MkdirTemp("", "urun-trap-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(trap)
	os.Chown(trap, mallory.UID, mallory.GID)
	os.Chmod(trap, 0o777)
	for _, squat := range []struct {
		name string
		make []string
	}{
		{"directory", []string{"/bin/mkdir", "-m", "0777", base}},
		{"symlink", []string{"/bin/ln", "-s", trap, base}},
	} {
		t.Run(squat.name, func(t *testing.T) {
			asMallory(squat.make...)
			defer os.Remove(base)
			r := e.Run(t, "", "run", "--network", "none", e.Rootfs, "true")
			who := fmt.Sprintf("uid %d (%s)", mallory.UID, mallory.User)
			if r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, who) ||
				!strings.Contains(r.Stderr, "XDG_RUNTIME_DIR") {
				t.Errorf("status %d, stderr %q: want 125 and one line naming %s and XDG_RUNTIME_DIR", r.Status, r.Stderr, who)
			}
			for _, d := range []string{base, trap} {
				if ents, _ := os.ReadDir(d); len(ents) > 0 {
					t.Errorf("urun wrote into the squatter's %s: %v", d, ents)
				}
			}
		})
	}
	asMallory("/bin/mkdir", "-m", "0777", base)
	rt, err := os.MkdirTemp("", "urun-xdg-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(rt)
	os.Chown(rt, e.UID, e.GID)
	cmd := e.Command("run", "--network", "none", e.Rootfs, "true")
	cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+rt)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("with XDG_RUNTIME_DIR=%s (mode 0700) the run failed: %v: %s", rt, err, out)
	}
	if ents, _ := os.ReadDir(filepath.Join(rt, "urun")); len(ents) > 0 {
		t.Errorf("state left in %s/urun: %v", rt, ents)
	}
}
