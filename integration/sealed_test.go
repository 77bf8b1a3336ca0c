package integration

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urun-dev/urun/internal/testutil"
	"golang.org/x/sys/unix"
)

var (
	attackProbeOnce sync.Once
	attackProbeErr  error
)

// installProbe puts the static attacker probe (internal/testutil/probe) into
// the test rootfs as /bin/urunprobe and returns its host path.
func installProbe(t *testing.T, e *testutil.Env) string {
	t.Helper()
	dst := filepath.Join(e.Rootfs, "bin", "urunprobe")
	attackProbeOnce.Do(func() {
		attackProbeErr = e.InstallTool("./internal/testutil/probe", dst)
	})
	if attackProbeErr != nil {
		t.Fatal(attackProbeErr)
	}
	return dst
}

// fields parses the probe's key=value lines.
func fields(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func hashFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// fullPipe returns a pipe whose buffer is already full, so the first write to
// its write end blocks until the read end is read.
func fullPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// Fd puts the file in blocking mode: take it once, then make it
	// non-blocking for the filling only.
	fd := int(w.Fd())
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := unix.Write(fd, []byte{'#'}); err != nil {
			break
		}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	return r, w
}

// waitForExe waits until the container's PID 1 (urun's child) runs with
// argv[0] argv0, or the run ends.
func waitForExe(t *testing.T, pid int, argv0 string, done <-chan struct{}) int {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a hang guard, not a measure
	for time.Now().Before(deadline) {
		if c, err := childOf(pid); err == nil {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c))
			if strings.HasPrefix(string(cmdline), argv0+"\x00") {
				return c
			}
		}
		select {
		case <-done:
			t.Fatalf("urun ended before its PID 1 ran %s", argv0)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("urun's PID 1 did not run %s within a minute", argv0)
	return 0
}

// TestRootfsScriptCannotReachUrunsBinary is CVE-2019-5736 as a rootfs would
// try it: its command is a script starting with #!/proc/self/exe, so the
// kernel runs whatever binary urun's init stage was running as the
// container's PID 1. From inside the container (nsenter into all its
// namespaces) /proc/1/exe must then be a sealed copy: not the host binary's
// inode, and neither writable nor reopenable for writing. The host binary is
// unchanged afterwards. A binary of root's that only root may write is not
// copied: no id of the container can write it. A binary on a read-only file system is not copied:
// there /proc/1/exe is the host file on its read-only mount, which stops
// writes even after urun exits (ETXTBSY stops them only while it runs).
//
// To keep PID 1 in urun's binary while it is looked at, its stderr is a full
// pipe: urun, run there with the script's path as its rootfs, blocks on its
// error line until the test reads.
func TestRootfsScriptCannotReachUrunsBinary(t *testing.T) {
	e := user(t)
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("SKIP: nsenter missing (apt-get install util-linux)")
	}
	installProbe(t, e)
	e.ExeScript(t, "evil.sh")
	args := []string{"run", "-q", "--network", "none", e.Rootfs, "/evil.sh"}
	// The binary is the user's own (~/bin/urun): the case in which root in
	// the container, the user, could write it once urun exits.
	bin := e.OwnBinary(t)
	// commandAt is the attack's run with the urun binary at path.
	commandAt := func(path string) *exec.Cmd {
		cmd := e.Command(args...)
		cmd.Path, cmd.Args[0] = path, path
		return cmd
	}

	t.Run("copied", func(t *testing.T) {
		got, hostSt := scriptAttack(t, e, bin, commandAt(bin))
		if !strings.HasPrefix(got["link"], "/memfd:") {
			t.Errorf("/proc/1/exe inside links to %q, want a sealed copy (/memfd:...)", got["link"])
		}
		if got["devino"] == "" || got["devino"] == fmt.Sprintf("%d:%d", hostSt.Dev, hostSt.Ino) {
			t.Errorf("an O_PATH handle on /proc/1/exe is inode %q: the host binary's (%d:%d), or none", got["devino"], hostSt.Dev, hostSt.Ino)
		}
	})
	t.Run("binary of root's", func(t *testing.T) {
		// The shared binary the harness installed as root, mode 0755: no
		// id of the container (the user, its subordinate ids) may write
		// it, so urun runs it as is, and the attack still cannot write it.
		var st unix.Stat_t
		if err := unix.Stat(e.Bin, &st); err != nil {
			t.Fatal(err)
		}
		if st.Uid != 0 || st.Mode&0o022 != 0 {
			t.Skipf("SKIP: %s is not a binary of root's writable by root alone (uid %d, mode %o)", e.Bin, st.Uid, st.Mode&0o7777)
		}
		got, hostSt := scriptAttack(t, e, e.Bin, e.Command(args...))
		// No copy: none is needed, and one costs every start more CPU
		// than the small embedded stage saves (userns.sealedStage).
		if got["devino"] != fmt.Sprintf("%d:%d", hostSt.Dev, hostSt.Ino) {
			t.Errorf("/proc/1/exe is inode %q (%s), want the host binary %d:%d, which no container id can write, run as it is", got["devino"], got["link"], hostSt.Dev, hostSt.Ino)
		}
	})
	// `make install`'s layout: urun of root's in PREFIX/bin, its init
	// stage's binary in PREFIX/libexec/urun, off PATH. The stage is that
	// binary, run as it is, and the attack cannot write it.
	t.Run("binary of root's, its stage in libexec", func(t *testing.T) {
		stage := installedStageOf(t)
		prefix := rootDir(t)
		for _, d := range []string{"bin", "libexec/urun"} {
			if err := os.MkdirAll(filepath.Join(prefix, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		urun, inst := filepath.Join(prefix, "bin", "urun"), filepath.Join(prefix, "libexec", "urun", "urun-init")
		installAsRoot(t, e.Bin, urun)
		installAsRoot(t, stage, inst)
		got, hostSt := scriptAttack(t, e, inst, commandAt(urun))
		if got["devino"] != fmt.Sprintf("%d:%d", hostSt.Dev, hostSt.Ino) {
			t.Errorf("/proc/1/exe is inode %q (%s), want the stage in libexec %d:%d, run as it is", got["devino"], got["link"], hostSt.Dev, hostSt.Ino)
		}
	})
	// The build tree's layout (and a package's directory of its own): urun
	// of root's, its init stage's binary beside it. The same, and a stage
	// of another build, or one the user could write, is not used.
	t.Run("binary of root's, its stage beside it", func(t *testing.T) {
		stage := installedStageOf(t)
		dir := rootDir(t)
		urun, inst := filepath.Join(dir, "urun"), filepath.Join(dir, "urun-init")
		installAsRoot(t, e.Bin, urun)
		installAsRoot(t, stage, inst)
		got, hostSt := scriptAttack(t, e, inst, commandAt(urun))
		if got["devino"] != fmt.Sprintf("%d:%d", hostSt.Dev, hostSt.Ino) {
			t.Errorf("/proc/1/exe is inode %q (%s), want the installed stage %d:%d, run as it is", got["devino"], got["link"], hostSt.Dev, hostSt.Ino)
		}

		// Another build's stage (urun's own bytes, not the embedded
		// stage's) and a stage the user owns: urun runs itself instead.
		installAsRoot(t, e.Bin, inst)
		got, hostSt = scriptAttack(t, e, urun, commandAt(urun))
		if got["devino"] != fmt.Sprintf("%d:%d", hostSt.Dev, hostSt.Ino) {
			t.Errorf("with another build's urun-init beside it, /proc/1/exe is inode %q (%s), want urun's own %d:%d", got["devino"], got["link"], hostSt.Dev, hostSt.Ino)
		}
		installAsRoot(t, stage, inst)
		if err := os.Chown(inst, e.UID, e.GID); err != nil {
			t.Fatal(err)
		}
		got, hostSt = scriptAttack(t, e, urun, commandAt(urun))
		if got["devino"] != fmt.Sprintf("%d:%d", hostSt.Dev, hostSt.Ino) {
			t.Errorf("with a urun-init the user owns beside it, /proc/1/exe is inode %q (%s), want urun's own %d:%d", got["devino"], got["link"], hostSt.Dev, hostSt.Ino)
		}
	})
	t.Run("read-only file system", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("SKIP: needs root for a read-only bind mount (in a private mount namespace)")
		}
		// urun started as the test user in a private mount namespace in
		// which its binary is a read-only bind mount; the host's mounts
		// are not touched.
		cmd := e.Command()
		cmd.SysProcAttr = nil
		cmd.Path = "/usr/bin/unshare"
		cmd.Args = append([]string{"unshare", "-m", "--propagation", "private", "sh", "-c",
			`mount --bind -o ro "$0" "$0" && exec setpriv --reuid=` + strconv.Itoa(e.UID) + ` --regid=` + strconv.Itoa(e.GID) +
				` --clear-groups "$0" "$@"`, bin}, args...)
		got, hostSt := scriptAttack(t, e, bin, cmd)
		if got["devino"] != fmt.Sprintf("%d:%d", hostSt.Dev, hostSt.Ino) {
			t.Errorf("/proc/1/exe is inode %q (%s), want the read-only host binary %d:%d, run as it is", got["devino"], got["link"], hostSt.Dev, hostSt.Ino)
		}
		if got["rdonly"] != "true" {
			t.Errorf("the file system under /proc/1/exe: read-only %q, want true", got["rdonly"])
		}
	})
}

// installedStageOf returns the init stage's binary that `make build` puts
// beside the urun under test (URUN_BIN), or skips.
func installedStageOf(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root for files of root's")
	}
	bin := os.Getenv("URUN_BIN")
	stage := filepath.Join(filepath.Dir(bin), "urun-init")
	if _, err := os.Stat(stage); bin == "" || err != nil {
		t.Skip("SKIP: no urun-init beside URUN_BIN (make build puts one in bin/, and make test-integration sets URUN_BIN)")
	}
	return stage
}

// rootDir makes a directory of root's that the test user may enter, removed
// after the test.
func rootDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "urun-installed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// installAsRoot copies src to dst (replacing it: a new inode), a file of
// the caller's (root's) with mode 0755.
func installAsRoot(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(dst)
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// scriptAttack runs cmd (urun, the host binary bin, with the #!/proc/self/exe script as its
// command), probes /proc/1/exe from inside while PID 1 runs urun's binary,
// and returns what the probe saw and the host binary's stat. It fails the
// test if the binary could be written, urun did not end with its 125, or the
// host binary changed.
func scriptAttack(t *testing.T, e *testutil.Env, bin string, cmd *exec.Cmd) (map[string]string, unix.Stat_t) {
	t.Helper()
	before := hashFile(t, bin)
	var hostSt unix.Stat_t
	if err := unix.Stat(bin, &hostSt); err != nil {
		t.Fatal(err)
	}
	errR, errW := fullPipe(t)
	defer errR.Close()
	cmd.Stderr = errW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errW.Close()
	done := make(chan struct{})
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); close(done) }()
	drained := false
	drain := func() string {
		drained = true
		b, _ := io.ReadAll(errR)
		return string(b)
	}
	defer func() {
		if !drained {
			go drain()
			<-done
		}
	}()

	pid1 := waitForExe(t, cmd.Process.Pid, "/proc/self/exe", done)
	hostLink, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid1))
	t.Logf("PID 1 (host pid %d) runs %s", pid1, hostLink)
	ns := e.Command()
	ns.Path = "/usr/bin/nsenter"
	if p, err := exec.LookPath("nsenter"); err == nil {
		ns.Path = p
	}
	ns.Args = []string{"nsenter", "-t", strconv.Itoa(pid1), "-U", "-m", "-p", "-i", "-u", "-n", "-r", "-w",
		"--preserve-credentials", "/bin/urunprobe", "exe", "/proc/1/exe"}
	out, err := ns.CombinedOutput()
	if err != nil {
		t.Fatalf("the probe inside the container: %v: %s", err, out)
	}
	got := fields(string(out))
	t.Logf("inside: %q", out)
	if got["write"] == "written" || got["open-write"] == "opened" {
		t.Errorf("PID 1's binary could be written from inside: %q", out)
	}

	msg := strings.TrimLeft(drain(), "#")
	if err := <-waited; status(err) != 125 {
		t.Errorf("status %d, want 125 (urun's binary as PID 1 refusing the script as a rootfs)", status(err))
	}
	// What PID 1 wrote once unblocked: proof that it was urun's binary (or
	// the embedded stage's, whose line starts urun-init:).
	if !strings.Contains(msg, "urun:") && !strings.Contains(msg, "urun-init:") {
		t.Errorf("PID 1 did not run urun's binary: stderr %q", msg)
	}
	if after := hashFile(t, bin); after != before {
		t.Errorf("the host binary changed: sha256 %s -> %s", before, after)
	}
	return got, hostSt
}

// TestHostKeyringInvisibleInside is finding 4 as an attacker tries it: the
// user has a secret key in their session keyring when they start a
// container; inside, the session keyring is a fresh one, the key can be
// neither found nor read, and a key the container adds does not land in the
// user's keyring.
func TestHostKeyringInvisibleInside(t *testing.T) {
	e := user(t)
	probe := installProbe(t, e)
	cmd := e.Command()
	cmd.Path = probe
	cmd.Args = []string{"probe", "keyhost", e.Bin, "run", "-q", "--network", "none",
		// keyctl itself stays allowed, so the probe sees the keyring it got
		// rather than a filter's EPERM.
		"--security-opt", "seccomp=unconfined",
		e.Rootfs, "/bin/urunprobe", "keys", "@SERIAL@"}
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		if strings.Contains(string(out), "joining a session keyring") {
			t.Skipf("SKIP: no keyrings for the test user here: %s", out)
		}
		t.Fatalf("%v: %s", err, out)
	}
	got := fields(string(out))
	if _, err := strconv.Atoi(got["session"]); err != nil || got["session"] == got["hostsession"] {
		t.Errorf("the container's session keyring is %q, the user's is %s: want a fresh one", got["session"], got["hostsession"])
	}
	if !strings.HasPrefix(got["search"], "error:") {
		t.Errorf("the container found the user's key in its session keyring: %s", got["search"])
	}
	if !strings.HasPrefix(got["read"], "error:") {
		t.Errorf("the container read the user's key %s: %q", got["hostserial"], got["read"])
	}
	if got["prockeys-payload"] != "false" {
		t.Errorf("the key's payload shows in the container's /proc/keys")
	}
	if strings.Contains(got["hostring"], "urun-container-key") {
		t.Errorf("a key the container added is in the user's session keyring: %s", got["hostring"])
	}
	if got["hostring"] == "" || strings.HasPrefix(got["hostring"], "error:") {
		t.Errorf("the user's keyring after the run: %q, want the secret key still there", got["hostring"])
	}
}
