// Package testutil runs the real urun binary as an unprivileged test user for
// integration tests: it builds the binary and a busybox rootfs once per test
// binary, drops to the test user when the tests run as root, and checks that
// a run left nothing behind.
package testutil

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Env is one test user with the built urun and a rootfs it owns.
type Env struct {
	Bin    string // the urun binary
	Rootfs string // a busybox rootfs owned by the user
	User   string
	UID    int
	GID    int
	Home   string
	cred   *syscall.Credential
}

var (
	once     sync.Once
	shared   string // temp dir with the binary
	setupErr error
)

// DefaultUser is the test user with subordinate ranges (hack/mkuser.sh).
const DefaultUser = "uruntest"

// RangelessUser has no /etc/subuid range (hack/mkuser.sh).
const RangelessUser = "uruntest2"

// ModuleRoot returns the repository's root directory.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func build() {
	dir, err := os.MkdirTemp("", "urun-it-")
	if err != nil {
		setupErr = err
		return
	}
	// The test user must reach the binary and its rootfs.
	os.Chmod(dir, 0o755)
	shared = dir
	bin := filepath.Join(dir, "urun")
	if src := os.Getenv("URUN_BIN"); src != "" {
		b, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(bin, b, 0o755)
		}
		if err != nil {
			setupErr = fmt.Errorf("copying URUN_BIN: %w", err)
		}
		return
	}
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/urun")
	cmd.Dir = ModuleRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		setupErr = fmt.Errorf("building urun: %v\n%s", err, out)
	}
}

// Cleanup removes what the package built; call it from TestMain.
func Cleanup() {
	if shared != "" {
		os.RemoveAll(shared)
	}
}

// Get returns the environment of the named test user, or skips the test with
// the reason it cannot run here.
func Get(t testing.TB, name string) *Env {
	t.Helper()
	once.Do(build)
	if setupErr != nil {
		t.Fatalf("setting up: %v", setupErr)
	}
	e := &Env{Bin: filepath.Join(shared, "urun")}
	if os.Getuid() == 0 {
		u, err := user.Lookup(name)
		if err != nil {
			t.Skipf("SKIP: test user %s missing (create it with: sudo hack/mkuser.sh)", name)
		}
		e.User = name
		e.UID, _ = strconv.Atoi(u.Uid)
		e.GID, _ = strconv.Atoi(u.Gid)
		e.Home = u.HomeDir
		e.cred = &syscall.Credential{Uid: uint32(e.UID), Gid: uint32(e.GID), Groups: []uint32{}}
	} else {
		if name != DefaultUser {
			t.Skipf("SKIP: needs root to act as %s", name)
		}
		u, _ := user.Current()
		e.User, e.UID, e.GID, e.Home = u.Username, os.Getuid(), os.Getgid(), u.HomeDir
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skipf("SKIP: /bin/busybox missing (apt-get install busybox-static)")
	}
	e.Rootfs = filepath.Join(shared, "rootfs-"+e.User)
	if _, err := os.Stat(e.Rootfs); err != nil {
		if err := os.Mkdir(e.Rootfs, 0o755); err != nil {
			t.Fatal(err)
		}
		if e.cred != nil {
			os.Chown(e.Rootfs, e.UID, e.GID)
		}
		cmd := e.rawCommand(filepath.Join(ModuleRoot(), "hack", "mkrootfs.sh"), e.Rootfs)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("making the rootfs: %v\n%s", err, out)
		}
	}
	return e
}

func (e *Env) rawCommand(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"HOME=" + e.Home, "USER=" + e.User, "LOGNAME=" + e.User, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
	if e.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: e.cred}
	}
	return cmd
}

// Command returns urun with args, set up to run as the test user.
func (e *Env) Command(args ...string) *exec.Cmd {
	return e.rawCommand(e.Bin, args...)
}

// Result is the outcome of one run.
type Result struct {
	Stdout, Stderr string
	Status         int
}

// Run runs urun with args and stdin and waits for it.
func (e *Env) Run(t testing.TB, stdin string, args ...string) Result {
	t.Helper()
	cmd := e.Command(args...)
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running urun %v: %v", args, err)
		}
		r.Status = ee.ExitCode()
		if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
			r.Status = 128 + int(ws.Signal())
		}
	}
	return r
}

// MustRun runs urun and fails the test unless it exits 0.
func (e *Env) MustRun(t testing.TB, args ...string) string {
	t.Helper()
	r := e.Run(t, "", args...)
	if r.Status != 0 {
		t.Fatalf("urun %v: status %d, stderr: %s", args, r.Status, r.Stderr)
	}
	return r.Stdout
}

// Procs lists the processes that run as the test user's uid (container root
// is that uid on the host), except the exclude pids.
func (e *Env) Procs(exclude ...int) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, d := range ents {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || contains(exclude, pid) || pid == os.Getpid() {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat("/proc/"+d.Name(), &st) != nil {
			continue
		}
		if int(st.Uid) == e.UID {
			cmdline, _ := os.ReadFile("/proc/" + d.Name() + "/cmdline")
			out = append(out, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return out
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// CheckClean fails the test if the test user still has processes, if a mount
// of the rootfs is visible on the host, or if a run's state directory is left.
// Processes get a grace period: the kernel reaps a PID namespace
// asynchronously after its init dies.
func (e *Env) CheckClean(t testing.TB) {
	t.Helper()
	var procs []string
	if e.cred == nil {
		// Running as the user itself: this test process would count.
		return
	}
	for i := 0; i < 100; i++ {
		if procs = e.Procs(); len(procs) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(procs) > 0 {
		t.Errorf("processes left behind: %v", procs)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), e.Rootfs) {
		t.Errorf("mounts of %s left on the host", e.Rootfs)
	}
	// Listing the store collects what killed foreground runs left (as any
	// urun command that lists it does); whatever is left then is a leak:
	// a record of a container the test did not remove.
	_, _ = e.Command("ps", "-a", "-q").Output()
	for _, base := range []string{filepath.Join(os.TempDir(), "urun-"+strconv.Itoa(e.UID))} {
		ents, _ := os.ReadDir(base)
		for _, d := range ents {
			t.Errorf("state left behind: %s/%s", base, d.Name())
		}
	}
}

// Sh runs a shell script as the test user on the host (not in a container)
// and fails the test unless it succeeds: for setting up files the user owns.
func (e *Env) Sh(t testing.TB, script string) string {
	t.Helper()
	out, err := e.rawCommand("/bin/sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("sh -c %q as %s: %v\n%s", script, e.User, err, out)
	}
	return string(out)
}

// TempDir returns a fresh directory owned by the test user, removed when the
// test ends.
func (e *Env) TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp(shared, "t-")
	if err != nil {
		t.Fatal(err)
	}
	if e.cred != nil {
		if err := os.Chown(dir, e.UID, e.GID); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		// Subordinate ids may own files the container made: remove as
		// root when we are root, else as far as we can.
		os.RemoveAll(dir)
	})
	return dir
}

// CopyRootfs returns a copy of the test rootfs that the test may change,
// owned by the test user.
func (e *Env) CopyRootfs(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(e.TempDir(t), "rootfs")
	e.Sh(t, "cp -a "+e.Rootfs+" "+dst)
	return dst
}

// Tree describes everything under dir, one line per entry: path, type and
// mode, owner, size, mtime, and the content's hash (a link's target), so two
// calls differ when anything under dir changed.
func Tree(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %v %d:%d %d %d.%09d", rel, fi.Mode(), st.Uid, st.Gid, fi.Size(), st.Mtim.Sec, st.Mtim.Nsec)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			fmt.Fprintf(&b, " -> %s", l)
		case fi.Mode().IsRegular():
			c, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %x", sha256.Sum256(c))
		}
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	return b.String()
}

// NoMountsUnder fails the test if the host's mount table shows anything
// under one of the dirs.
func NoMountsUnder(t testing.TB, dirs ...string) {
	t.Helper()
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mi), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		for _, d := range dirs {
			if f[4] == d || strings.HasPrefix(f[4], d+"/") {
				t.Errorf("left mounted on the host: %s", line)
			}
		}
	}
}

// InstallTool builds the static Go program pkg (a path such as
// ./internal/testutil/probe, relative to the module root) into dst and gives
// it to the test user: busybox lacks the probes some tests run inside.
func (e *Env) InstallTool(pkg, dst string) error {
	cmd := exec.Command("go", "build", "-o", dst, pkg)
	cmd.Dir = ModuleRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
	}
	return os.Chown(dst, e.UID, e.GID)
}

// OwnBinary copies urun into a fresh directory as a file the test user owns
// (~/bin/urun: the case in which root in a container, the user, could write
// it) and returns its path.
func (e *Env) OwnBinary(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "urun-own-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "urun")
	b, err := os.ReadFile(e.Bin)
	if err == nil {
		err = os.WriteFile(bin, b, 0o755)
	}
	if err == nil {
		err = os.Chown(bin, e.UID, e.GID)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// ExeScript writes /NAME into the test rootfs: a script whose interpreter is
// #!/proc/self/exe (CVE-2019-5736's attack: it re-enters whatever binary
// runs it), owned by the test user, removed when the test ends.
func (e *Env) ExeScript(t testing.TB, name string) {
	t.Helper()
	script := filepath.Join(e.Rootfs, name)
	if err := os.WriteFile(script, []byte("#!/proc/self/exe\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chown(script, e.UID, e.GID)
	t.Cleanup(func() { os.Remove(script) })
}
