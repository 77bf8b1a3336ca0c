package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/urun-dev/urun/internal/testutil"
)

// owner returns the host uid of a file.
func owner(t *testing.T, p string) int {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return int(st.Sys().(*syscall.Stat_t).Uid)
}

// A CI job: the source tree goes in read-only, the results come out through
// a writable volume, owned on the host by the user who ran the job as the
// container's root (-u 0).
func TestCIJobReadsSourceWritesResults(t *testing.T) {
	e := user(t)
	dir := e.TempDir(t)
	src, out := filepath.Join(dir, "src"), filepath.Join(dir, "out")
	e.Sh(t, "mkdir "+src+" "+out+" && printf 'a\\nb\\nc\\n' >"+src+"/input && echo 'verbose=1' >"+dir+"/ci.conf")
	before := testutil.Tree(t, src)
	r := e.Run(t, "", "run", "--network", "none", "-u", "0", "-v", src+":/src:ro", "-v", out+":/out", "-v", dir+"/ci.conf:/etc/ci.conf:ro",
		"-w", "/src", e.Rootfs, "sh", "-c", `wc -l <input >/out/lines && cp /etc/ci.conf /out/ && mkdir /out/logs && echo done >/out/logs/build.log`)
	if r.Status != 0 {
		t.Fatalf("status %d: %s", r.Status, r.Stderr)
	}
	got, err := os.ReadFile(filepath.Join(out, "lines"))
	if err != nil || strings.TrimSpace(string(got)) != "3" {
		t.Fatalf("result on the host: %q, %v; want 3", got, err)
	}
	for _, f := range []string{"lines", "ci.conf", "logs", "logs/build.log"} {
		if u := owner(t, filepath.Join(out, f)); u != e.UID {
			t.Errorf("%s is owned by uid %d on the host, want the user's %d", f, u, e.UID)
		}
	}
	if after := testutil.Tree(t, src); after != before {
		t.Errorf("the read-only source changed:\n%s\n%s", before, after)
	}
	testutil.NoMountsUnder(t, dir)
}

func TestWriteToReadOnlyVolumeFails(t *testing.T) {
	e := user(t)
	src := e.TempDir(t)
	e.Sh(t, "echo keep >"+src+"/f")
	before := testutil.Tree(t, src)
	for _, flag := range [][]string{{"-v", src + ":/src:ro"}, {"--mount", "type=bind,src=" + src + ",dst=/src,readonly"}} {
		args := append(append([]string{"run", "--network", "none"}, flag...), e.Rootfs, "sh", "-c", "echo x >/src/f; touch /src/new; mkdir /src/d")
		r := e.Run(t, "", args...)
		if r.Status == 0 || strings.Count(r.Stderr, "Read-only file system") != 3 {
			t.Errorf("%v: status %d, stderr %q: want EROFS three times", flag, r.Status, r.Stderr)
		}
	}
	if after := testutil.Tree(t, src); after != before {
		t.Errorf("the read-only volume changed:\n%s\n%s", before, after)
	}
}

// podman's :U gives the source to the container user: files a container
// made as another id become the user's own again.
func TestVolumeChownU(t *testing.T) {
	e := user(t)
	dir := e.TempDir(t)
	e.Sh(t, "mkdir "+dir+"/d && echo x >"+dir+"/d/f && ln -s /etc/passwd "+dir+"/d/link")
	e.MustRun(t, "run", "--network", "none", "-v", dir+"/d:/d", e.Rootfs, "chown", "-h", "1000:1000", "/d/f", "/d/link")
	if u := owner(t, dir+"/d/f"); u == e.UID {
		t.Skipf("SKIP: container uid 1000 is the user's own uid here (no subordinate range)")
	}
	e.MustRun(t, "run", "--network", "none", "-v", dir+"/d:/d:U", e.Rootfs, "true")
	for _, f := range []string{"d/f", "d/link"} {
		if u := owner(t, filepath.Join(dir, f)); u != e.UID {
			t.Errorf("after :U, %s is owned by uid %d, want %d", f, u, e.UID)
		}
	}
	if u := owner(t, "/etc/passwd"); u != 0 {
		t.Errorf(":U followed a symlink: /etc/passwd is owned by %d", u)
	}
}

// --overlay: the container changes its root as it likes, and the rootfs
// directory stays byte for byte what it was, metadata included.
func TestOverlayLeavesRootfsUnchanged(t *testing.T) {
	e := user(t)
	root := e.CopyRootfs(t)
	before := testutil.Tree(t, root)
	out := e.MustRun(t, "run", "--network", "none", "--overlay", root, "sh", "-c",
		`echo new >/newfile && echo x >>/etc/passwd && rm /bin/ls && chmod 700 /etc && mkdir -p /var/lib/job && touch -d 2001-01-01 /etc/hostname && ln -s /x /link && rm -r /home && cat /newfile && test -L /link && echo link`)
	if strings.TrimSpace(out) != "new\nlink" {
		t.Errorf("inside the overlay: %q", out)
	}
	if after := testutil.Tree(t, root); after != before {
		t.Errorf("the rootfs changed under --overlay")
	}
	testutil.NoMountsUnder(t, root)
}

// Two CI jobs on one rootfs at the same time, each with --overlay: neither
// sees the other's files.
func TestTwoOverlayContainersDoNotSeeEachOther(t *testing.T) {
	e := user(t)
	root := e.CopyRootfs(t)
	sync := e.TempDir(t)
	job := func(me, other string) *exec.Cmd {
		// Each writes its file, then waits until the other has written
		// its own before looking for it.
		script := `echo ` + me + ` >/who-` + me + ` && touch /sync/` + me + ` && while [ ! -e /sync/` + other + ` ]; do sleep 0.05; done; ls /who-*`
		return e.Command("run", "--network", "none", "--overlay", "-v", sync+":/sync", root, "sh", "-c", script)
	}
	a, b := job("a", "b"), job("b", "a")
	var aout, bout strings.Builder
	a.Stdout, b.Stdout = &aout, &bout
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	aerr, berr := a.Wait(), b.Wait()
	if aerr != nil || berr != nil {
		t.Fatalf("jobs: %v, %v", aerr, berr)
	}
	if strings.TrimSpace(aout.String()) != "/who-a" || strings.TrimSpace(bout.String()) != "/who-b" {
		t.Errorf("each job must see only its own file: a saw %q, b saw %q", aout.String(), bout.String())
	}
	if _, err := os.Stat(root + "/who-a"); err == nil {
		t.Errorf("a job's file reached the rootfs")
	}
}

// --overlay=DIR keeps the changes for the next run, in DIR, and still never
// writes the rootfs.
func TestOverlayDirKeepsChanges(t *testing.T) {
	e := user(t)
	root := e.CopyRootfs(t)
	layer := filepath.Join(e.TempDir(t), "layer")
	before := testutil.Tree(t, root)
	e.MustRun(t, "run", "--network", "none", "--overlay="+layer, root, "sh", "-c", "echo cached >/var/cache-file && rm /bin/ls")
	out := e.MustRun(t, "run", "--network", "none", "--overlay="+layer, root, "sh", "-c", "cat /var/cache-file; ls /bin/ls 2>&1 || true")
	if !strings.HasPrefix(out, "cached\n") || !strings.Contains(out, "No such file") {
		t.Errorf("second run: %q, want the kept file and the kept deletion", out)
	}
	if _, err := os.Stat(filepath.Join(layer, "upper", "var", "cache-file")); err != nil {
		t.Errorf("the change is not in DIR/upper: %v", err)
	}
	if after := testutil.Tree(t, root); after != before {
		t.Errorf("the rootfs changed under --overlay=DIR")
	}
	// Without the overlay the rootfs is as it was.
	if out := e.MustRun(t, "run", "--network", "none", root, "sh", "-c", "ls /var/cache-file 2>/dev/null; ls /bin/ls"); out != "/bin/ls\n" {
		t.Errorf("plain run sees %q", out)
	}
}

func TestReadOnlyRootTmpWorks(t *testing.T) {
	e := user(t)
	r := e.Run(t, "", "run", "--network", "none", "--read-only", e.Rootfs, "sh", "-c",
		`touch /x 2>&1; echo tmp >/tmp/a && echo var >/var/tmp/b && echo run >/run/c && cat /tmp/a /var/tmp/b /run/c`)
	if r.Status != 0 || r.Stdout != "touch: /x: Read-only file system\ntmp\nvar\nrun\n" {
		t.Errorf("--read-only: status %d, out %q, err %q", r.Status, r.Stdout, r.Stderr)
	}
	r = e.Run(t, "", "run", "--network", "none", "--read-only", "--read-only-tmpfs=false", e.Rootfs, "sh", "-c", "touch /tmp/a")
	if r.Status == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Errorf("--read-only-tmpfs=false: status %d, err %q: want /tmp read-only", r.Status, r.Stderr)
	}
	if _, err := os.Stat(e.Rootfs + "/tmp/a"); err == nil {
		t.Errorf("a write reached the rootfs")
	}
}

func TestTmpfsSizeIsEnforced(t *testing.T) {
	e := user(t)
	for _, flag := range [][]string{{"--tmpfs", "/t:size=1m"}, {"--mount", "type=tmpfs,dst=/t,tmpfs-size=1m"}} {
		args := append(append([]string{"run", "--network", "none"}, flag...), e.Rootfs, "dd", "if=/dev/zero", "of=/t/big", "bs=1M", "count=2")
		r := e.Run(t, "", args...)
		if r.Status == 0 || !strings.Contains(r.Stderr, "No space left on device") {
			t.Errorf("%v: writing 2 MiB: status %d, err %q; want ENOSPC", flag, r.Status, r.Stderr)
		}
	}
	out := e.MustRun(t, "run", "--network", "none", "--tmpfs", "/t:mode=1777", e.Rootfs, "stat", "-c", "%a", "/t")
	if strings.TrimSpace(out) != "1777" {
		t.Errorf("--tmpfs mode: %q", out)
	}
}

// Every bad input of issue 9's list: one line naming the value and what to
// do, status 125, nothing left behind (no process, mount or state: the
// cleanup check of user()).
func TestFilesBadInput(t *testing.T) {
	e := user(t)
	dir := e.TempDir(t)
	e.Sh(t, "mkdir "+dir+"/closed && chmod 000 "+dir+"/closed")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-v", dir + "/missing:/data"}, "does not exist"},
		{[]string{"-v", dir + "/closed:/data"}, "cannot be read by you"},
		{[]string{"-v", dir + ":data"}, "not absolute"},
		{[]string{"-v", dir + ":"}, "container path is empty"},
		{[]string{"-v", dir + ":/data:rw,sparkly"}, `unknown option "sparkly"`},
		{[]string{"--mount", "type=bind,src=" + dir + ",dst=/data,colour=red"}, `unknown key "colour"`},
		{[]string{"--tmpfs", "/t:sparkly"}, `unknown option "sparkly"`},
		{[]string{"-v", "/etc:/data:U"}, "belongs to uid 0"},
		{[]string{"-v", dir + ":/proc"}, "cannot mount over /proc"},
		{[]string{"-v", dir + ":/sys"}, "cannot mount over /sys"},
		{[]string{"-v", dir + ":/dev"}, "cannot mount over /dev"},
		{[]string{"--overlay=" + e.Rootfs + "/var/layer"}, "inside the rootfs"},
		{[]string{"--overlay=/proc/layer"}, "cannot create"},
	} {
		args := append(append([]string{"run", "--network", "none"}, c.args...), e.Rootfs, "true")
		r := e.Run(t, "", args...)
		lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
		if r.Status != 125 || len(lines) != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v: status %d, stderr %q; want 125 and one line with %q", c.args, r.Status, r.Stderr, c.want)
		}
	}
	if _, err := os.Stat(e.Rootfs + "/var/layer"); err == nil {
		t.Errorf("a refused --overlay=DIR was created inside the rootfs")
	}
	testutil.NoMountsUnder(t, e.Rootfs, dir)
}

// A SIGKILL of urun while an overlay container writes leaves nothing: the
// throwaway upper layer lives only in the container's mount namespace, and
// the rootfs is as it was.
func TestSIGKILLOfUrunLeavesNoOverlay(t *testing.T) {
	e := user(t)
	root := e.CopyRootfs(t)
	vol := e.TempDir(t)
	before := testutil.Tree(t, root)
	cmd, _ := start(t, e, "run", "--network", "none", "--overlay", "--tmpfs", "/scratch", "-v", vol+":/vol", root, "sh", "-c",
		"echo x >/written && echo y >/scratch/y && echo ready; sleep 1000")
	cmd.Process.Kill()
	cmd.Wait()
	if after := testutil.Tree(t, root); after != before {
		t.Errorf("the rootfs changed")
	}
	testutil.NoMountsUnder(t, root, vol)
	// CheckClean (at cleanup): no process or state left.
}

// The README's CI recipe: a pristine rootfs (--overlay), the workspace
// mounted, the job run as the user (keep-id); results are the user's.
func TestCIRecipeOverlayKeepID(t *testing.T) {
	e := user(t)
	root := e.CopyRootfs(t)
	ws := e.TempDir(t)
	e.Sh(t, "echo 'int main;' >"+ws+"/main.c")
	before := testutil.Tree(t, root)
	out := e.MustRun(t, "run", "--network", "none", "--overlay", "--userns", "keep-id", "-v", ws+":/src", "-w", "/src", root,
		"sh", "-c", "id -u; cat main.c >main.o && mkdir -p build && echo ok >build/log && echo cached >/var/tool-cache")
	if strings.TrimSpace(out) != strconv.Itoa(e.UID) {
		t.Errorf("id -u inside: %q, want %d", out, e.UID)
	}
	for _, f := range []string{"main.o", "build", "build/log"} {
		if u := owner(t, filepath.Join(ws, f)); u != e.UID {
			t.Errorf("%s is owned by uid %d, want %d", f, u, e.UID)
		}
	}
	if after := testutil.Tree(t, root); after != before {
		t.Errorf("the rootfs changed")
	}
}
