package integration

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/urun-dev/urun/internal/testutil"
)

// subuidStart returns the first subordinate uid of the test user, skipping
// the test when it has none.
func subuidStart(t *testing.T, e *testutil.Env) int {
	t.Helper()
	f, err := os.Open("/etc/subuid")
	if err != nil {
		t.Skipf("SKIP: no /etc/subuid: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) == 3 && (p[0] == e.User || p[0] == strconv.Itoa(e.UID)) {
			n, _ := strconv.Atoi(p[1])
			return n
		}
	}
	t.Skipf("SKIP: %s has no range in /etc/subuid", e.User)
	return 0
}

func TestUnshareIsRootWithRanges(t *testing.T) {
	e := user(t)
	sub := subuidStart(t, e)
	out := e.MustRun(t, "unshare", "sh", "-c", "id -u; cat /proc/self/uid_map")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || lines[0] != "0" {
		t.Fatalf("got %q; want uid 0 and a two-line uid_map", out)
	}
	if f := strings.Fields(lines[1]); len(f) != 3 || f[0] != "0" || f[1] != strconv.Itoa(e.UID) || f[2] != "1" {
		t.Errorf("uid_map line %q: want 0 %d 1", lines[1], e.UID)
	}
	if f := strings.Fields(lines[2]); len(f) != 3 || f[0] != "1" || f[1] != strconv.Itoa(sub) {
		t.Errorf("uid_map line %q: want 1 %d N", lines[2], sub)
	}
}

// Nothing else changes: the working directory, the environment, the
// command's status.
func TestUnshareKeepsCwdEnvAndStatus(t *testing.T) {
	e := user(t)
	dir := e.TempDir(t)
	cmd := e.Command("unshare", "sh", "-c", `pwd; echo "$URUN_TEST_VAR"; exit 7`)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, "URUN_TEST_VAR=kept")
	out, err := cmd.Output()
	if got := strings.TrimSpace(string(out)); got != dir+"\nkept" {
		t.Errorf("got %q; want the working directory and the variable", got)
	}
	if s := status(err); s != 7 {
		t.Errorf("status %d, want 7", s)
	}
	r := e.Run(t, "", "unshare", "no-such-command")
	if r.Status != 127 || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("unknown command: status %d, stderr %q; want 127 and one line", r.Status, r.Stderr)
	}
}

// A container's files of other ids belong to subordinate ids on the host:
// the user cannot delete them, urun unshare rm -rf can.
func TestUnshareRemovesSubordinateIdFiles(t *testing.T) {
	e := user(t)
	subuidStart(t, e)
	dir := e.TempDir(t)
	e.MustRun(t, "run", "--network", "none", "-v", dir+":/d", e.Rootfs, "sh", "-c",
		"mkdir -p /d/tree/sub && echo x >/d/tree/sub/f && chown -R 1000:1000 /d/tree && chmod 0555 /d/tree/sub")
	tree := filepath.Join(dir, "tree")
	if u := owner(t, filepath.Join(tree, "sub", "f")); u == e.UID {
		t.Fatalf("the file belongs to the user itself (uid %d); want a subordinate id", u)
	}
	if out, err := shAs(e, "rm -rf "+tree); err == nil {
		t.Fatalf("plain rm -rf removed a tree of subordinate ids: %s", out)
	}
	e.MustRun(t, "unshare", "rm", "-rf", tree)
	if _, err := os.Lstat(tree); !os.IsNotExist(err) {
		t.Errorf("the tree is still there after urun unshare rm -rf: %v", err)
	}
}

func TestUnshareChownWithoutSudo(t *testing.T) {
	e := user(t)
	sub := subuidStart(t, e)
	dir := e.TempDir(t)
	e.Sh(t, "mkdir "+dir+"/d && touch "+dir+"/d/f")
	e.MustRun(t, "unshare", "chown", "-R", "1000:1000", dir+"/d")
	if u := owner(t, dir+"/d/f"); u != sub+999 {
		t.Fatalf("after chown 1000: owner %d, want %d", u, sub+999)
	}
	e.MustRun(t, "unshare", "chown", "-R", "0:0", dir+"/d")
	for _, p := range []string{"d", "d/f"} {
		if u := owner(t, filepath.Join(dir, p)); u != e.UID {
			t.Errorf("after chown 0:0: %s belongs to %d, want the user's %d", p, u, e.UID)
		}
	}
}

// shAs runs a script as the test user on the host and returns its output
// and error (testutil's Sh fails the test instead).
func shAs(e *testutil.Env, script string) ([]byte, error) {
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = "/"
	cmd.SysProcAttr = credential(e)
	return cmd.CombinedOutput()
}
