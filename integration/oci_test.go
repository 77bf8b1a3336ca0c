package integration

// urun as an OCI runtime: the lifecycle verbs on a bundle (create, start,
// state, kill, delete, list, run --bundle), the console socket, the pid file
// and hooks, as the unprivileged test user, as an engine drives them.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/testutil"
	"golang.org/x/sys/unix"
)

// subRange reads the test user's first range of an /etc/subuid-style file.
func subRange(t *testing.T, file, name string) (uint32, uint32) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("SKIP: %s: %v", file, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) == 3 && f[0] == name {
			start, _ := strconv.ParseUint(f[1], 10, 32)
			n, _ := strconv.ParseUint(f[2], 10, 32)
			return uint32(start), uint32(n)
		}
	}
	t.Skipf("SKIP: no %s range for %s (hack/mkuser.sh makes one)", file, name)
	return 0, 0
}

// ociSpec is the config an engine would write for the test user: its own
// uid as root and its subordinate ids, new namespaces (network: an empty
// one), the kernel file systems, and DIR/out bound at /out for the
// command's traces.
func ociSpec(t *testing.T, e *testutil.Env, out string, args ...string) *specs.Spec {
	t.Helper()
	su, sn := subRange(t, "/etc/subuid", e.User)
	sg, gn := subRange(t, "/etc/subgid", e.User)
	return &specs.Spec{
		Version: "1.0.2",
		Process: &specs.Process{
			Args: args, Cwd: "/", Env: []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"},
			User: specs.User{UID: 0, GID: 0},
		},
		Root:     &specs.Root{Path: e.Rootfs},
		Hostname: "oci",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"},
			{Destination: "/out", Type: "bind", Source: out, Options: []string{"rbind", "rw"}},
		},
		Annotations: map[string]string{"org.example.test": "oci"},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.UserNamespace}},
			UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(e.UID), Size: 1}, {ContainerID: 1, HostID: su, Size: sn}},
			GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(e.GID), Size: 1}, {ContainerID: 1, HostID: sg, Size: gn}},
		},
	}
}

// ociBundle writes s as DIR/config.json of a new bundle and returns DIR.
func ociBundle(t *testing.T, e *testutil.Env, dir string, s *specs.Spec) string {
	t.Helper()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ociSetup makes a bundle whose command is args, and its out directory.
func ociSetup(t *testing.T, e *testutil.Env, args ...string) (bundle, out string, s *specs.Spec) {
	t.Helper()
	dir := e.TempDir(t)
	out = filepath.Join(dir, "out")
	e.Sh(t, "mkdir "+out)
	s = ociSpec(t, e, out, args...)
	return ociBundle(t, e, dir, s), out, s
}

// ociState runs urun state ID.
func ociState(t *testing.T, e *testutil.Env, id string) specs.State {
	t.Helper()
	out := e.MustRun(t, "state", id)
	var st specs.State
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("state %s: %v: %s", id, err, out)
	}
	return st
}

// waitStatus polls urun state until the container has status want: the
// container's own pace, not a timed assertion (the limit only stops a hang).
func waitStatus(t *testing.T, e *testutil.Env, id string, want specs.ContainerState) specs.State {
	t.Helper()
	var st specs.State
	for i := 0; i < 1000; i++ {
		if st = ociState(t, e, id); st.Status == want {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("container %s stays %s, want %s", id, st.Status, want)
	return st
}

// waitFile polls for a file the container makes.
func waitFile(t *testing.T, p string) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if _, err := os.Stat(p); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", p)
}

// ociGone checks that nothing is left of container id: no record (state
// refuses it), no directory in the store.
func ociGone(t *testing.T, e *testutil.Env, id string) {
	t.Helper()
	r := e.Run(t, "", "state", id)
	if r.Status == 0 || !strings.Contains(r.Stderr, "does not exist") {
		t.Errorf("state %s after delete: status %d, %q; want an error saying it does not exist", id, r.Status, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "urun-"+strconv.Itoa(e.UID), id)); err == nil {
		t.Errorf("the store still holds %s", id)
	}
}

// ociCreate runs create (or run --detach) with args. Its stdout and stderr
// are files, as an engine's pipes are the container's: a pipe read to its
// end would wait for the container. It returns the result and the two
// files' paths, which keep what the container writes.
func ociCreate(t *testing.T, e *testutil.Env, args ...string) (testutil.Result, string, string) {
	t.Helper()
	dir := e.TempDir(t)
	outP, errP := filepath.Join(dir, "stdout"), filepath.Join(dir, "stderr")
	stdout, err := os.Create(outP)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(errP)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd := e.Command(args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	var r testutil.Result
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("urun %v: %v", args, err)
		}
		r.Status = ee.ExitCode()
	}
	b, _ := os.ReadFile(outP)
	r.Stdout = string(b)
	b, _ = os.ReadFile(errP)
	r.Stderr = string(b)
	return r, outP, errP
}

// mustCreate is ociCreate that must succeed.
func mustCreate(t *testing.T, e *testutil.Env, args ...string) (stdout, stderr string) {
	t.Helper()
	r, o, errP := ociCreate(t, e, args...)
	if r.Status != 0 {
		t.Fatalf("urun %v: status %d, stderr %q", args, r.Status, r.Stderr)
	}
	return o, errP
}

// ociCleanup deletes id (forced) at the end of the test, before CheckClean.
func ociCleanup(t *testing.T, e *testutil.Env, id string) {
	t.Cleanup(func() { e.Run(t, "", "delete", "--force", id) })
}

func TestOCICreateStartStateDelete(t *testing.T) {
	e := user(t)
	bundle, out, _ := ociSetup(t, e, "/bin/sh", "-c", `touch /out/ran; while [ ! -e /out/go ]; do sleep 0.05; done; echo done > /out/done; echo to-stdout; echo to-stderr >&2`)
	pidFile := filepath.Join(bundle, "pid")
	ociCleanup(t, e, "life")
	stdout, stderr := mustCreate(t, e, "create", "--bundle", bundle, "--pid-file", pidFile, "life")

	st := ociState(t, e, "life")
	if st.Status != specs.StateCreated || st.ID != "life" || st.Bundle != bundle || st.Pid <= 0 || st.Annotations["org.example.test"] != "oci" {
		t.Fatalf("state after create = %+v; want created, id life, bundle %s, a pid, the annotation", st, bundle)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(st.Pid) {
		t.Errorf("pid file = %q (%v), want %d", b, err, st.Pid)
	}
	if _, err := os.Stat(filepath.Join(out, "ran")); err == nil {
		t.Fatal("the command ran before start")
	}
	if r := e.Run(t, "", "delete", "life"); r.Status == 0 || !strings.Contains(r.Stderr, "created") {
		t.Errorf("delete of a created container: status %d, %q; want a refusal", r.Status, r.Stderr)
	}
	list := e.MustRun(t, "list")
	if !strings.Contains(list, "ID") || !strings.Contains(list, "life") || !strings.Contains(list, "created") || !strings.Contains(list, bundle) {
		t.Errorf("list does not show life created in %s:\n%s", bundle, list)
	}

	var listed []struct{ ID, Status, Bundle string }
	if err := json.Unmarshal([]byte(e.MustRun(t, "list", "--format", "json")), &listed); err != nil || len(listed) != 1 ||
		listed[0].ID != "life" || listed[0].Status != "created" || listed[0].Bundle != bundle {
		t.Errorf("list --format json = %+v (%v); want life, created, %s", listed, err, bundle)
	}
	if q := e.MustRun(t, "list", "-q"); q != "life\n" {
		t.Errorf("list -q = %q, want life", q)
	}

	e.MustRun(t, "start", "life")
	waitFile(t, filepath.Join(out, "ran"))
	if st := ociState(t, e, "life"); st.Status != specs.StateRunning {
		t.Errorf("state after start = %s, want running", st.Status)
	}
	if r := e.Run(t, "", "start", "life"); r.Status == 0 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "not created") {
		t.Errorf("second start: status %d, %q; want one line saying it is not created", r.Status, r.Stderr)
	}
	e.Sh(t, "touch "+filepath.Join(out, "go"))
	waitStatus(t, e, "life", specs.StateStopped)
	if b, _ := os.ReadFile(filepath.Join(out, "done")); string(b) != "done\n" {
		t.Errorf("the command did not finish: /out/done = %q", b)
	}
	// create's own stdio is the container's, with nothing between.
	if b, _ := os.ReadFile(stdout); string(b) != "to-stdout\n" {
		t.Errorf("create's stdout got %q, want the container's to-stdout", b)
	}
	if b, _ := os.ReadFile(stderr); string(b) != "to-stderr\n" {
		t.Errorf("create's stderr got %q, want the container's to-stderr", b)
	}
	e.MustRun(t, "delete", "life")
	ociGone(t, e, "life")
	// An engine's cleanup: a forced delete of what is gone succeeds (runc's).
	e.MustRun(t, "delete", "--force", "life")
	if r := e.Run(t, "", "delete", "life"); r.Status == 0 || !strings.Contains(r.Stderr, "does not exist") {
		t.Errorf("delete of a deleted container: status %d, %q; want an error", r.Status, r.Stderr)
	}
}

func TestOCIKillBeforeStart(t *testing.T) {
	e := user(t)
	bundle, out, _ := ociSetup(t, e, "/bin/sh", "-c", "touch /out/ran")
	ociCleanup(t, e, "early")
	mustCreate(t, e, "create", "--bundle", bundle, "early")
	// An engine's stop: SIGTERM, which PID 1 waiting at the gate has no
	// handler for.
	e.MustRun(t, "kill", "early", "TERM")
	waitStatus(t, e, "early", specs.StateStopped)
	// The monitor records the status just after PID 1 is gone.
	rec := inspect(t, e, "early")
	for i := 0; i < 500 && rec.ExitCode == nil; i++ {
		time.Sleep(20 * time.Millisecond)
		rec = inspect(t, e, "early")
	}
	if rec.ExitCode == nil || *rec.ExitCode != 128+15 {
		t.Errorf("exit code after SIGTERM at the gate = %v, want 143", rec.ExitCode)
	}
	r := e.Run(t, "", "start", "early")
	if r.Status == 0 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "stopped, not created") {
		t.Errorf("start after kill: status %d, %q; want one line saying it is stopped", r.Status, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "ran")); err == nil {
		t.Error("the command of a container killed before start ran")
	}
	e.MustRun(t, "delete", "early")
	ociGone(t, e, "early")
}

func TestOCIKillSignalNamesAndAll(t *testing.T) {
	e := user(t)
	// PID 1 traps TERM and says so; its child (a second process) is
	// reached only by --all.
	bundle, out, _ := ociSetup(t, e, "/bin/sh", "-c",
		`trap 'echo term > /out/pid1; exit 3' TERM; trap 'echo usr1 > /out/pid1-usr1' USR1; sh -c 'trap "echo usr1 > /out/child; exit 0" USR1; touch /out/child-ready; while :; do sleep 0.05; done' & while :; do sleep 0.05; done`)
	ociCleanup(t, e, "sigs")
	mustCreate(t, e, "create", "--bundle", bundle, "sigs")
	e.MustRun(t, "start", "sigs")
	waitFile(t, filepath.Join(out, "child-ready"))
	if r := e.Run(t, "", "kill", "sigs", "BOGUS"); r.Status == 0 {
		t.Errorf("kill with signal BOGUS: status 0, want an error")
	}
	e.MustRun(t, "kill", "--all", "sigs", "SIGUSR1")
	waitFile(t, filepath.Join(out, "child"))
	// runc's default signal is SIGTERM.
	e.MustRun(t, "kill", "sigs")
	waitStatus(t, e, "sigs", specs.StateStopped)
	if b, _ := os.ReadFile(filepath.Join(out, "pid1")); string(b) != "term\n" {
		t.Errorf("PID 1 got no SIGTERM from 'urun kill sigs': /out/pid1 = %q", b)
	}
	if r := e.Run(t, "", "kill", "sigs", "15"); r.Status == 0 || !strings.Contains(r.Stderr, "stopped") {
		t.Errorf("kill of a stopped container: status %d, %q; want an error", r.Status, r.Stderr)
	}
	e.MustRun(t, "delete", "sigs")
}

func TestOCIDeleteRunningNeedsForce(t *testing.T) {
	e := user(t)
	bundle, out, _ := ociSetup(t, e, "/bin/sh", "-c", "touch /out/ran; exec sleep 1000")
	ociCleanup(t, e, "busy")
	mustCreate(t, e, "create", "--bundle", bundle, "busy")
	e.MustRun(t, "start", "busy")
	waitFile(t, filepath.Join(out, "ran"))
	r := e.Run(t, "", "delete", "busy")
	if r.Status == 0 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "--force") {
		t.Errorf("delete of a running container: status %d, %q; want one line naming --force", r.Status, r.Stderr)
	}
	if st := ociState(t, e, "busy"); st.Status != specs.StateRunning {
		t.Fatalf("after the refused delete the container is %s, want running", st.Status)
	}
	e.MustRun(t, "delete", "--force", "busy")
	ociGone(t, e, "busy")
	// user's CheckClean: no process, no mount of the rootfs, no record.
}

func TestOCIRunBundleExitStatus(t *testing.T) {
	e := user(t)
	bundle, _, _ := ociSetup(t, e, "/bin/sh", "-c", "echo out-$(hostname); echo err >&2; exit 7")
	r := e.Run(t, "", "run", "--bundle", bundle, "onego")
	if r.Status != 7 || r.Stdout != "out-oci\n" || r.Stderr != "err\n" {
		t.Errorf("run --bundle: status %d, stdout %q, stderr %q; want 7, out-oci, err", r.Status, r.Stdout, r.Stderr)
	}
	ociGone(t, e, "onego")

	// --detach: create + start; the container stays until delete.
	bundle2, out2, _ := ociSetup(t, e, "/bin/sh", "-c", "touch /out/ran; exec sleep 1000")
	ociCleanup(t, e, "bg")
	mustCreate(t, e, "run", "--bundle", bundle2, "--detach", "bg")
	waitFile(t, filepath.Join(out2, "ran"))
	if st := ociState(t, e, "bg"); st.Status != specs.StateRunning {
		t.Errorf("run --detach: state %s, want running", st.Status)
	}
	e.MustRun(t, "delete", "--force", "bg")
	ociGone(t, e, "bg")
}

// recvConsole accepts one connection on ln and reads runc's console message:
// the terminal's name as the payload, its master as SCM_RIGHTS.
func recvConsole(ln *net.UnixListener) (*os.File, string, error) {
	c, err := ln.AcceptUnix()
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, "", err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, "", fmt.Errorf("control messages: %v (%d)", err, len(msgs))
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, "", fmt.Errorf("rights: %v (%d)", err, len(fds))
	}
	return os.NewFile(uintptr(fds[0]), "master"), string(buf[:n]), nil
}

func TestOCIConsoleSocketGetsTheTerminal(t *testing.T) {
	e := user(t)
	dir := e.TempDir(t)
	out := filepath.Join(dir, "out")
	e.Sh(t, "mkdir "+out)
	s := ociSpec(t, e, out, "/bin/sh", "-c", `[ -t 0 ] && echo tty-yes; read x; echo got-$x`)
	s.Process.Terminal = true
	bundle := ociBundle(t, e, dir, s)
	sock := filepath.Join(dir, "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := os.Chown(sock, e.UID, e.GID); err != nil && os.Getuid() == 0 {
		t.Fatal(err)
	}
	if r, _, _ := ociCreate(t, e, "create", "--bundle", bundle, "tty"); r.Status == 0 || !strings.Contains(r.Stderr, "--console-socket") {
		t.Errorf("create with a terminal and no --console-socket: status %d, %q; want a refusal naming --console-socket", r.Status, r.Stderr)
	}
	type got struct {
		f    *os.File
		name string
		err  error
	}
	ch := make(chan got, 1)
	go func() { f, n, err := recvConsole(ln); ch <- got{f, n, err} }()
	ociCleanup(t, e, "tty")
	mustCreate(t, e, "create", "--bundle", bundle, "--console-socket", sock, "tty")
	g := <-ch
	if g.err != nil {
		t.Fatalf("receiving the terminal: %v", g.err)
	}
	defer g.f.Close()
	if g.name == "" {
		t.Error("the console message has no terminal name")
	}
	e.MustRun(t, "start", "tty")
	rd := bufio.NewReader(g.f)
	line, err := rd.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "tty-yes" {
		t.Fatalf("first line from the terminal = %q (%v), want tty-yes", line, err)
	}
	if _, err := g.f.Write([]byte("abc\n")); err != nil {
		t.Fatal(err)
	}
	// The terminal echoes the input, then the command answers.
	for {
		line, err = rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		if strings.HasPrefix(strings.TrimSpace(line), "got-") {
			break
		}
	}
	if strings.TrimSpace(line) != "got-abc" {
		t.Errorf("answer = %q, want got-abc", line)
	}
	waitStatus(t, e, "tty", specs.StateStopped)
	e.MustRun(t, "delete", "tty")
}

func TestOCIHooksGetTheState(t *testing.T) {
	e := user(t)
	bundle, out, s := ociSetup(t, e, "/bin/sh", "-c", "touch /out/ran; while [ ! -e /out/go ]; do sleep 0.05; done")
	hook := func(name string) specs.Hook {
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "cat > " + filepath.Join(out, name+".tmp") + " && mv " + filepath.Join(out, name+".tmp") + " " + filepath.Join(out, name+".json")}}
	}
	timeout := 30
	//lint:ignore SA1019 engines still send prestart hooks
	s.Hooks = &specs.Hooks{Prestart: []specs.Hook{hook("prestart")},
		CreateRuntime: []specs.Hook{hook("createRuntime")}, CreateContainer: []specs.Hook{hook("createContainer")},
		StartContainer: []specs.Hook{hook("startContainer")}, Poststart: []specs.Hook{hook("poststart")},
		Poststop: []specs.Hook{hook("poststop"), {Path: "/bin/false", Timeout: &timeout}}}
	ociBundle(t, e, bundle, s)
	ociCleanup(t, e, "hooked")
	mustCreate(t, e, "create", "--bundle", bundle, "hooked")
	pid := ociState(t, e, "hooked").Pid
	read := func(name string) *specs.State {
		b, err := os.ReadFile(filepath.Join(out, name+".json"))
		if err != nil {
			return nil
		}
		var st specs.State
		if err := json.Unmarshal(b, &st); err != nil {
			t.Errorf("%s hook's stdin is not a state: %v: %q", name, err, b)
			return nil
		}
		return &st
	}
	for _, h := range []string{"prestart", "createRuntime", "createContainer"} {
		st := read(h)
		if st == nil || st.ID != "hooked" || st.Pid != pid || st.Bundle != bundle || st.Status != "creating" {
			t.Errorf("%s hook after create got %+v; want id hooked, pid %d, bundle %s, creating", h, st, pid, bundle)
		}
	}
	for _, h := range []string{"startContainer", "poststart", "poststop"} {
		if read(h) != nil {
			t.Errorf("the %s hook ran at create", h)
		}
	}
	e.MustRun(t, "start", "hooked")
	waitFile(t, filepath.Join(out, "poststart.json"))
	if st := read("startContainer"); st == nil || st.Pid != pid || st.Status != specs.StateCreated {
		t.Errorf("startContainer hook got %+v, want pid %d, created", st, pid)
	}
	if st := read("poststart"); st == nil || st.Pid != pid || st.Status != specs.StateRunning {
		t.Errorf("poststart hook got %+v, want pid %d, running", st, pid)
	}
	e.Sh(t, "touch "+filepath.Join(out, "go"))
	waitStatus(t, e, "hooked", specs.StateStopped)
	// A failing poststop hook is a warning: delete goes on.
	r := e.Run(t, "", "delete", "hooked")
	if r.Status != 0 || !strings.Contains(r.Stderr, "poststop hook 1") {
		t.Errorf("delete with a failing poststop hook: status %d, %q; want 0 and a warning", r.Status, r.Stderr)
	}
	if st := read("poststop"); st == nil || st.Status != specs.StateStopped || st.ID != "hooked" {
		t.Errorf("poststop hook got %+v, want stopped", st)
	}
	ociGone(t, e, "hooked")
}

func TestOCIFailingCreateRuntimeHookLeavesNothing(t *testing.T) {
	e := user(t)
	bundle, out, s := ociSetup(t, e, "/bin/sh", "-c", "touch /out/ran")
	s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo no network for you >&2; exit 3"}}}}
	ociBundle(t, e, bundle, s)
	log := filepath.Join(bundle, "log.json")
	r, _, _ := ociCreate(t, e, "--log", log, "--log-format", "json", "create", "--bundle", bundle, "nohook")
	if r.Status == 0 || !strings.Contains(r.Stderr, "createRuntime hook 0") || !strings.Contains(r.Stderr, "no network for you") {
		t.Errorf("create with a failing createRuntime hook: status %d, %q; want a failure naming the hook and its message", r.Status, r.Stderr)
	}
	checkJSONLog(t, log, "createRuntime hook 0")
	ociGone(t, e, "nohook")
	if _, err := os.Stat(filepath.Join(out, "ran")); err == nil {
		t.Error("the command ran")
	}
}

// checkJSONLog checks that the --log file has an error entry in runc's JSON
// form whose msg contains want.
func checkJSONLog(t *testing.T, log, want string) {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Errorf("no --log file: %v", err)
		return
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var ent struct{ Level, Msg, Time string }
		if err := json.Unmarshal([]byte(l), &ent); err != nil {
			t.Errorf("--log line %q is not JSON: %v", l, err)
			continue
		}
		if ent.Level == "error" && strings.Contains(ent.Msg, want) && ent.Time != "" {
			return
		}
	}
	t.Errorf("--log has no error entry with %q:\n%s", want, b)
}

func TestOCIBadInputIsOneLine(t *testing.T) {
	e := user(t)
	bundle, out, _ := ociSetup(t, e, "/bin/true")
	ociCleanup(t, e, "taken")
	mustCreate(t, e, "create", "--bundle", bundle, "taken")
	su, sn := subRange(t, "/etc/subuid", e.User)
	edit := func(f func(s *specs.Spec)) string {
		dir := e.TempDir(t)
		s := ociSpec(t, e, out, "/bin/true")
		f(s)
		return ociBundle(t, e, dir, s)
	}
	raw := func(text string, mode os.FileMode) string {
		dir := e.TempDir(t)
		p := filepath.Join(dir, "config.json")
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing bundle", []string{"create", "--bundle", "/nonexistent/bundle", "x1"}, "/nonexistent/bundle"},
		{"no config.json", []string{"create", "--bundle", e.TempDir(t), "x2"}, "config.json"},
		{"unreadable config.json", []string{"create", "--bundle", raw(`{}`, 0o000), "x3"}, "permission denied"},
		{"JSON syntax", []string{"create", "--bundle", raw("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": [\n}", 0o644), "x4"}, "line 4:1"},
		{"ociVersion 2", []string{"create", "--bundle", edit(func(s *specs.Spec) { s.Version = "2.0.0" }), "x5"}, `ociVersion "2.0.0" is not supported`},
		{"id in use", []string{"create", "--bundle", bundle, "taken"}, "already in use"},
		{"empty id", []string{"create", "--bundle", bundle, ""}, "id is empty"},
		{"id with a slash", []string{"create", "--bundle", bundle, "a/b"}, "slash"},
		{"start of a missing container", []string{"start", "taken-not"}, "does not exist"},
		{"unknown mount type", []string{"create", "--bundle", edit(func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "ext9", Source: "none"})
		}), "x6"}, "ext9"},
		{"unknown mount option", []string{"create", "--bundle", edit(func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"frobnicate"}})
		}), "x7"}, "frobnicate"},
		{"namespace path not a namespace", []string{"create", "--bundle", edit(func(s *specs.Spec) {
			s.Linux.Namespaces[4].Path = "/dev/null"
		}), "x8"}, "/dev/null"},
		{"mapping outside the subordinate ids", []string{"create", "--bundle", edit(func(s *specs.Spec) {
			s.Linux.UIDMappings[1].Size = sn + 10
		}), "x9"}, strconv.FormatUint(uint64(su), 10)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log := filepath.Join(e.TempDir(t), "log.json")
			r, _, _ := ociCreate(t, e, append([]string{"--log", log, "--log-format", "json"}, c.args...)...)
			if r.Status == 0 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, c.want) {
				t.Errorf("urun %v: status %d, stderr %q; want non-zero and one line containing %q", c.args, r.Status, r.Stderr, c.want)
			}
			checkJSONLog(t, log, c.want)
		})
	}
	// A command that is not there fails create (as runc's init looks it up
	// before the start gate) with status 127 and the line engines map to
	// 127 (podman: "executable file not found in"), and leaves nothing.
	nf := edit(func(s *specs.Spec) { s.Process.Args = []string{"no-such-command"} })
	ociCleanup(t, e, "notfound")
	if r, _, _ := ociCreate(t, e, "create", "--bundle", nf, "notfound"); r.Status != 127 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "executable file not found in") {
		t.Errorf("create of a missing command: status %d, %q; want 127 and one line with \"executable file not found in\"", r.Status, r.Stderr)
	}
	ociGone(t, e, "notfound")

	// start of a container that is not created (it ran and stopped).
	e.MustRun(t, "start", "taken")
	waitStatus(t, e, "taken", specs.StateStopped)
	r := e.Run(t, "", "start", "taken")
	if r.Status == 0 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "not created") {
		t.Errorf("start of a stopped container: status %d, %q; want one line saying it is not created", r.Status, r.Stderr)
	}
	e.MustRun(t, "delete", "taken")
	for _, id := range []string{"x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"} {
		ociGone(t, e, id)
	}
}

// TestOCIEngineReapsTheContainer plays conmon (or containerd's shim): a
// subreaper that runs create and start, then waitpids the pid of the pid
// file for the container's exit status, as engines do with runc.
func TestOCIEngineReapsTheContainer(t *testing.T) {
	e := user(t)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("SKIP: cannot become a subreaper: %v", err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	bundle, out, _ := ociSetup(t, e, "/bin/sh", "-c", "while [ ! -e /out/go ]; do sleep 0.05; done; exit 5")
	pidFile := filepath.Join(bundle, "pid")
	ociCleanup(t, e, "reaped")
	mustCreate(t, e, "create", "--bundle", bundle, "--pid-file", pidFile, "reaped")
	b, err := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		t.Fatalf("pid file: %q, %v", b, err)
	}
	monitor := inspect(t, e, "reaped").MonitorPid
	e.MustRun(t, "start", "reaped")
	e.Sh(t, "touch "+filepath.Join(out, "go"))
	var ws unix.WaitStatus
	for i := 0; ; i++ {
		// The container becomes this process's child once its monitor
		// has let it go and exited.
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if got == pid {
			break
		}
		if i > 1000 {
			t.Fatalf("pid %d never became this subreaper's child to reap: %v", pid, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !ws.Exited() || ws.ExitStatus() != 5 {
		t.Errorf("waitpid status of the container: %v, want exit 5", ws)
	}
	// The monitor was reparented here too when create exited: collect it.
	_, _ = unix.Wait4(monitor, nil, 0, nil)
	if st := ociState(t, e, "reaped"); st.Status != specs.StateStopped {
		t.Errorf("state after the engine reaped it: %s, want stopped", st.Status)
	}
	e.MustRun(t, "delete", "reaped")
	ociGone(t, e, "reaped")
}
