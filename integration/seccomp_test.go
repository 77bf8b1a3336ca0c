package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/urun-dev/urun/internal/testutil"
)

var (
	probeOnce   sync.Once
	probeRootfs string
	probeErr    error
)

// probeRoot is a copy of the test rootfs with the static sysprobe helper as
// /bin/sysprobe (busybox has no tool for keyctl, io_uring_setup, clone3).
func probeRoot(t *testing.T, e *testutil.Env) string {
	t.Helper()
	probeOnce.Do(func() {
		dst := e.Rootfs + "-sysprobe"
		if out, err := exec.Command("cp", "-a", e.Rootfs, dst).CombinedOutput(); err != nil {
			probeErr = fmt.Errorf("copying the rootfs: %v\n%s", err, out)
			return
		}
		bin := filepath.Join(dst, "bin", "sysprobe")
		if probeErr = e.InstallTool("./internal/testutil/sysprobe", bin); probeErr == nil {
			probeRootfs = dst
		}
	})
	if probeErr != nil {
		t.Fatal(probeErr)
	}
	return probeRootfs
}

// probeScript prints the seccomp lines of /proc/self/status, then what the
// kernel says to the probes, then whether busybox can make a user namespace.
const probeScript = `grep -E '^(Seccomp(_filters)?|NoNewPrivs):' /proc/self/status
sysprobe keyctl io_uring_setup clone3 unshare-user
if unshare -U true 2>/dev/null; then echo "unshare -U: ok"; else echo "unshare -U: refused"; fi`

// probe runs probeScript under urun with flags and returns its lines as a
// map: "Seccomp" -> "2", "keyctl" -> "EPERM", ...
func probe(t *testing.T, e *testutil.Env, flags ...string) map[string]string {
	t.Helper()
	args := append(append([]string{"run"}, flags...), probeRoot(t, e), "sh", "-c", probeScript)
	r := e.Run(t, "", args...)
	if r.Status != 0 {
		t.Fatalf("urun %v: status %d, stderr: %s", flags, r.Status, r.Stderr)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		k, v, _ := strings.Cut(l, ":")
		got[k] = strings.TrimSpace(v)
	}
	return got
}

func wantProbe(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// TestDefaultSeccompProfileRefusesKernelAttackSurface: a plain run is under
// the default profile, which refuses keyrings, io_uring and new user
// namespaces, and makes clone3 say ENOSYS so that glibc falls back to clone.
func TestDefaultSeccompProfileRefusesKernelAttackSurface(t *testing.T) {
	e := user(t)
	// The filter is loaded at two places in the init stage: before the
	// capabilities are dropped without no_new_privs (the default), after
	// no_new_privs is set with it.
	for _, tc := range []struct {
		flags []string
		nnp   string
	}{
		{nil, "0"}, {[]string{"--security-opt", "no-new-privileges"}, "1"},
		// As another user the stage has dropped to it when no_new_privs
		// is set, so the filter goes on without any capability.
		{[]string{"-u", "1000"}, "0"}, {[]string{"-u", "1000", "--security-opt", "no-new-privileges"}, "1"},
	} {
		t.Run(strings.Join(append([]string{"flags"}, tc.flags...), " "), func(t *testing.T) {
			wantProbe(t, probe(t, e, tc.flags...), map[string]string{
				"NoNewPrivs": tc.nnp, "Seccomp": "2", "Seccomp_filters": "1",
				"keyctl": "EPERM", "io_uring_setup": "EPERM", "clone3": "ENOSYS",
				"unshare-user": "EPERM", "unshare -U": "refused",
			})
		})
	}
}

// TestSeccompFollowsCapabilities: the default profile is resolved for the
// container's capabilities: with CAP_SYS_ADMIN added, making namespaces is
// allowed, keyrings and io_uring stay closed.
func TestSeccompFollowsCapabilities(t *testing.T) {
	e := user(t)
	wantProbe(t, probe(t, e, "--cap-add", "SYS_ADMIN"), map[string]string{
		"Seccomp": "2", "unshare -U": "ok", "clone3": "EINVAL",
		"keyctl": "EPERM", "io_uring_setup": "EPERM",
	})
}

// TestSeccompUnconfined: --security-opt seccomp=unconfined loads no
// filter, and neither does --privileged (podman's meaning), so the same calls
// reach the kernel.
func TestSeccompUnconfined(t *testing.T) {
	e := user(t)
	for _, flags := range [][]string{{"--security-opt", "seccomp=unconfined"}, {"--privileged"}} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			got := probe(t, e, flags...)
			wantProbe(t, got, map[string]string{
				"Seccomp": "0", "Seccomp_filters": "0",
				// clone3 with size 0 and unshare in a multi-threaded
				// process are invalid calls: the kernel, not a filter,
				// answers.
				"clone3": "EINVAL", "unshare-user": "EINVAL",
				"unshare -U": "ok",
			})
			for _, k := range []string{"keyctl", "io_uring_setup"} {
				if got[k] == "EPERM" || got[k] == "" {
					t.Errorf("%s: %q without a filter", k, got[k])
				}
			}
		})
	}
}

// writeProfile writes a profile file the test user can read, beside its
// rootfs (a t.TempDir is the tester's own, mode 0700).
func writeProfile(t *testing.T, e *testutil.Env, body string) string {
	t.Helper()
	dir, err := os.MkdirTemp(filepath.Dir(e.Rootfs), "profile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "profile.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSeccompCustomProfileDeniesMkdir: a docker-format profile file that
// allows everything but mkdir, refused with the errno it names.
func TestSeccompCustomProfileDeniesMkdir(t *testing.T) {
	e := user(t)
	p := writeProfile(t, e, `{
	"defaultAction": "SCMP_ACT_ALLOW",
	"archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
	"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}]
}`)
	out := e.MustRun(t, "run", "--security-opt", "seccomp="+p, probeRoot(t, e), "sh", "-c",
		`grep '^Seccomp:' /proc/self/status; sysprobe mkdir:/tmp/d keyctl; touch /tmp/f && echo touch: ok`)
	for _, want := range []string{"Seccomp:\t2", "mkdir: EROFS", "keyctl: ok", "touch: ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}

// TestSeccompBadProfileFile: a malformed or missing profile is one line
// naming the flag, status 125, and nothing is left behind.
func TestSeccompBadProfileFile(t *testing.T) {
	e := user(t)
	bad := writeProfile(t, e, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n")
	unknown := writeProfile(t, e, `{"defaultAction": "SCMP_ACT_MAYBE"}`)
	for _, tc := range []struct{ path, want string }{
		{bad, "--security-opt seccomp=" + bad + ": decoding the profile"},
		{unknown, "unknown action"},
		{"/nonexistent/profile.json", "--security-opt seccomp=/nonexistent/profile.json: reading the profile: no such file or directory"},
	} {
		r := e.Run(t, "", "run", "--security-opt", "seccomp="+tc.path, e.Rootfs, "true")
		if r.Status != 125 {
			t.Errorf("%s: status %d, want 125 (stderr %q)", tc.path, r.Status, r.Stderr)
		}
		if lines := strings.Split(strings.TrimSpace(r.Stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%s: stderr %q, want one line with %q", tc.path, r.Stderr, tc.want)
		}
	}
}
