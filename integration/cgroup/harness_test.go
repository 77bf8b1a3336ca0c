package cgroup

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/urun-dev/urun/cgroupdelegate"
	"github.com/urun-dev/urun/internal/testutil"
)

// vm is the environment of the tests that need a delegated cgroup: the urun
// binary ($URUN_BIN), a busybox rootfs made once, and the cgroup directory
// where the user manager puts transient scopes.
type vm struct {
	bin, rootfs string
	scopes      string // where the manager puts urun's scopes
	user        bool   // a user manager (else root's system manager)
}

var (
	vmOnce sync.Once
	vmEnv  *vm
	vmErr  error
	vmSkip string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if vmEnv != nil {
		os.RemoveAll(filepath.Dir(vmEnv.rootfs))
	}
	testutil.Cleanup()
	os.Exit(code)
}

// needVM returns the VM environment or skips: these tests need cgroup v2 and
// a systemd manager, and run as the user urun runs as (in the VM the test
// binary is started as uruntest over ssh, and a subset again as root).
func needVM(t *testing.T) *vm {
	t.Helper()
	vmOnce.Do(setupVM)
	if vmSkip != "" {
		t.Skip("SKIP: " + vmSkip)
	}
	if vmErr != nil {
		t.Fatal(vmErr)
	}
	return vmEnv
}

func setupVM() {
	if v2, _ := cgroupdelegate.IsCgroup2(cgroupdelegate.Mountpoint); !v2 {
		vmSkip = "no cgroup v2 here; these tests run in the VM test bed (make test-vm)"
		return
	}
	info, err := cgroupdelegate.ProbeManager()
	if err != nil {
		vmSkip = "no systemd user manager: " + err.Error()
		return
	}
	bin := os.Getenv("URUN_BIN")
	if bin == "" {
		vmSkip = "URUN_BIN is not set (the urun binary under test)"
		return
	}
	dir, err := os.MkdirTemp("", "urun-cg-")
	if err != nil {
		vmErr = err
		return
	}
	rootfs := filepath.Join(dir, "rootfs")
	script := os.Getenv("URUN_MKROOTFS")
	if script == "" {
		script = filepath.Join(testutil.ModuleRoot(), "hack", "mkrootfs.sh")
	}
	if out, err := exec.Command("sh", script, rootfs).CombinedOutput(); err != nil {
		vmErr = fmt.Errorf("making the rootfs with %s: %v\n%s", script, err, out)
		return
	}
	// Where systemd puts a transient scope that names no slice.
	scopes := filepath.Join(cgroupdelegate.Mountpoint, info.Cgroup, "app.slice")
	if !info.User {
		scopes = filepath.Join(cgroupdelegate.Mountpoint, "system.slice")
	}
	vmEnv = &vm{bin: bin, rootfs: rootfs, scopes: scopes, user: info.User}
}

type result struct {
	stdout, stderr string
	status         int
}

// run runs urun with args and waits for it.
func (v *vm) run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(v.bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.status = ee.ExitCode()
		if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
			r.status = 128 + int(ws.Signal())
		}
	case err != nil:
		t.Fatalf("running urun %v: %v", args, err)
	}
	return r
}

// mustRun runs urun ROOTFS-relative: args are urun's flags, then the command.
func (v *vm) mustRun(t *testing.T, flags []string, cmd ...string) string {
	t.Helper()
	r := v.run(t, append(append(append([]string{"run"}, flags...), v.rootfs), cmd...)...)
	if r.status != 0 {
		t.Fatalf("urun %v %v: status %d, stderr: %s", flags, cmd, r.status, r.stderr)
	}
	return r.stdout
}

// liveScopes lists urun's scopes that exist now.
func (v *vm) liveScopes() []string {
	m, _ := filepath.Glob(filepath.Join(v.scopes, "urun-*.scope"))
	return m
}

// checkNoScopes fails if a urun scope is left, as a cgroup or as a unit
// systemd still knows (a failed one, for example). systemd prunes an empty
// scope asynchronously, hence the grace period.
func (v *vm) checkNoScopes(t *testing.T) {
	t.Helper()
	var left []string
	for i := 0; i < 100; i++ {
		left = v.liveScopes()
		if len(left) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("scopes left behind: %v", left)
	}
	args := []string{"list-units", "--all", "--no-legend", "--plain", "urun-*"}
	if v.user {
		args = append([]string{"--user"}, args...)
	}
	out, err := exec.Command("systemctl", args...).Output()
	if err != nil {
		t.Errorf("systemctl %v: %v", args, err)
	} else if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("urun units left in the systemd manager: %s", s)
	}
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
