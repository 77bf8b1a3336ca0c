package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/urun-dev/urun/internal/testutil"
)

// copyRootfs makes a private copy of the test user's rootfs that a test may
// change (users added to /etc/passwd, programs installed), owned by the user
// like the original, and removed after the test (as root: the container may
// have left files of subordinate ids in it).
func copyRootfs(t *testing.T, e *testutil.Env) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "urun-it-rootfs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	root := filepath.Join(dir, "rootfs")
	if out, err := exec.Command("cp", "-a", e.Rootfs, root).CombinedOutput(); err != nil {
		t.Fatalf("copying the rootfs: %v\n%s", err, out)
	}
	if os.Getuid() == 0 {
		os.Chown(dir, e.UID, e.GID)
	}
	return root
}

// appendTo adds lines to a file of the rootfs.
func appendTo(t *testing.T, root, name, text string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(root, name), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// installHostProgram copies host programs and every shared library ldd names
// for them (and for extra, such as plugins) into the rootfs at the same
// paths, so a dynamic Debian program runs in the busybox rootfs.
func installHostProgram(t *testing.T, e *testutil.Env, root string, files ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range files {
		paths := []string{f}
		out, _ := exec.Command("ldd", f).Output()
		for _, line := range strings.Split(string(out), "\n") {
			for _, field := range strings.Fields(line) {
				if strings.HasPrefix(field, "/") {
					paths = append(paths, field)
				}
			}
		}
		for _, p := range paths {
			if seen[p] {
				continue
			}
			seen[p] = true
			copyFile(t, e, p, filepath.Join(root, p))
		}
	}
}

// copyFile copies one host file (following symlinks) into the rootfs,
// making its directories, owned by the test user (container root).
func copyFile(t *testing.T, e *testutil.Env, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("reading %s: %v", src, err)
	}
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, st.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
	chownToUser(e, filepath.Dir(dst), dst)
}

func chownToUser(e *testutil.Env, paths ...string) {
	if os.Getuid() != 0 {
		return
	}
	for _, p := range paths {
		os.Lchown(p, e.UID, e.GID)
	}
}

// asUser runs a host command as the test user (not through urun).
func asUser(t *testing.T, e *testutil.Env, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = "/"
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(e.UID), Gid: uint32(e.GID), Groups: []uint32{}}}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// badInput checks urun's answer to bad input: status 125, one line on
// stderr containing want, and (through the Env's cleanup) nothing left.
func badInput(t *testing.T, e *testutil.Env, want string, args ...string) {
	t.Helper()
	r := e.Run(t, "", args...)
	if r.Status != 125 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("urun %q: status %d, stderr %q; want 125 and one line with %q", args, r.Status, r.Stderr, want)
	}
}
