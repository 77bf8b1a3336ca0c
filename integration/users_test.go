package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/internal/testutil"
)

// usersRootfs is a rootfs copy with alice (1000) in /etc/passwd, a member
// of wheel (10) in /etc/group, and a staff group (50).
func usersRootfs(t *testing.T, e *testutil.Env) string {
	root := copyRootfs(t, e)
	appendTo(t, root, "etc/passwd", "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n")
	appendTo(t, root, "etc/group", "alice:x:1000:\nwheel:x:10:alice\nstaff:x:50:\n")
	return root
}

func TestRunAsUIDAndGID(t *testing.T) {
	e := user(t)
	root := usersRootfs(t, e)
	out := e.MustRun(t, "run", "-u", "1000:1000", root, "sh", "-c", `echo "$(id -u) $(id -g) $HOME $USER"`)
	if got := strings.TrimSpace(out); got != "1000 1000 /home/alice alice" {
		t.Errorf("-u 1000:1000: got %q, want \"1000 1000 /home/alice alice\"", got)
	}
	// A uid without an entry: gid 0 and HOME=/, as runc.
	out = e.MustRun(t, "run", "-u", "4242", root, "sh", "-c", `echo "$(id -u) $(id -g) $HOME"`)
	if got := strings.TrimSpace(out); got != "4242 0 /" {
		t.Errorf("-u 4242: got %q, want \"4242 0 /\"", got)
	}
	// An explicit -e HOME wins over the passwd entry.
	out = e.MustRun(t, "run", "-u", "1000", "-e", "HOME=/mine", root, "sh", "-c", `echo $HOME`)
	if got := strings.TrimSpace(out); got != "/mine" {
		t.Errorf("-e HOME with -u: got %q", got)
	}
}

func TestRunAsUserName(t *testing.T) {
	e := user(t)
	root := usersRootfs(t, e)
	out := e.MustRun(t, "run", "-u", "alice", "--group-add", "staff", "--group-add", "77", root, "sh", "-c", `echo "$(id -u) $(id -g) $(id -G)"`)
	if got := strings.TrimSpace(out); got != "1000 1000 1000 10 50 77" {
		t.Errorf("-u alice --group-add staff --group-add 77: got %q, want \"1000 1000 1000 10 50 77\" (wheel from /etc/group)", got)
	}
	out = e.MustRun(t, "run", "-u", "alice:staff", root, "sh", "-c", `echo "$(id -u) $(id -g) $(id -G)"`)
	if got := strings.TrimSpace(out); got != "1000 50 50" {
		t.Errorf("-u alice:staff: got %q, want \"1000 50 50\" (a named group replaces the memberships)", got)
	}
}

func TestRunAsUserTheRootfsLacks(t *testing.T) {
	e := user(t)
	root := usersRootfs(t, e)
	badInput(t, e, `user "nosuch" is not in the container's /etc/passwd`, "run", "-u", "nosuch", root, "true")
	badInput(t, e, `group "nosuch"`, "run", "-u", "alice:nosuch", root, "true")
	badInput(t, e, `group "nosuch"`, "run", "--group-add", "nosuch", root, "true")
}

// A hostile rootfs's /etc/passwd is a symlink to a host file: it is
// resolved inside the rootfs, so the host file is neither used nor changed.
func TestHostilePasswdSymlinkStaysInside(t *testing.T) {
	e := user(t)
	root := copyRootfs(t, e)
	host := filepath.Join(filepath.Dir(root), "host-passwd")
	hostText := "evil:x:4242:4242::/from-the-host:/bin/sh\n"
	if err := os.WriteFile(host, []byte(hostText), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(host)
	passwd := filepath.Join(root, "etc", "passwd")
	os.Remove(passwd)
	if err := os.Symlink(host, passwd); err != nil {
		t.Fatal(err)
	}
	chownToUser(e, passwd)
	// No such file inside the rootfs: the user is unknown.
	badInput(t, e, `user "evil"`, "run", "-u", "evil", root, "true")
	// The same path inside the rootfs is what counts.
	inside := filepath.Join(root, host)
	os.MkdirAll(filepath.Dir(inside), 0o755)
	os.WriteFile(inside, []byte("evil:x:777:777::/inside:/bin/sh\n"), 0o644)
	out := e.MustRun(t, "run", "-u", "evil", root, "sh", "-c", `echo "$(id -u) $HOME"`)
	if got := strings.TrimSpace(out); got != "777 /inside" {
		t.Errorf("-u evil: got %q, want \"777 /inside\" from the rootfs's own file", got)
	}
	after, _ := os.Stat(host)
	if b, _ := os.ReadFile(host); string(b) != hostText || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the host file changed: %q", b)
	}
}

func TestKeepIDRunsAsYou(t *testing.T) {
	e := user(t)
	root := copyRootfs(t, e)
	out := e.MustRun(t, "run", "--userns", "keep-id", root, "sh", "-c",
		`id -u; id -g; cat /proc/self/uid_map; echo gid; cat /proc/self/gid_map; echo hello > /tmp/from-keep-id`)
	parts := strings.SplitN(out, "\n", 3)
	if len(parts) < 3 || parts[0] != fmt.Sprint(e.UID) || parts[1] != fmt.Sprint(e.GID) {
		t.Fatalf("id inside: %q, want %d and %d", out, e.UID, e.GID)
	}
	uidMap, gidMap, _ := strings.Cut(parts[2], "gid\n")
	for _, c := range []struct {
		file, got string
		own       int
	}{
		{idmap.SubUIDFile, uidMap, e.UID}, {idmap.SubGIDFile, gidMap, e.GID},
	} {
		ranges, err := idmap.ReadRanges(c.file, e.User, c.own)
		if err != nil {
			t.Fatal(err)
		}
		if len(ranges) == 0 {
			t.Skipf("SKIP: %s has no range for %s", c.file, e.User)
		}
		if want := idmap.Format(idmap.PlanKeepID(uint32(c.own), ranges)); normalize(c.got) != want {
			t.Errorf("map from %s:\n%s\nwant (keep-id plan)\n%s", c.file, c.got, want)
		}
	}
	// The file is the user's on the host, and the user removes it without
	// sudo.
	f := filepath.Join(root, "tmp", "from-keep-id")
	var st syscall.Stat_t
	if err := syscall.Stat(f, &st); err != nil || int(st.Uid) != e.UID || int(st.Gid) != e.GID {
		t.Fatalf("%s: %v, owner %d:%d, want %d:%d", f, err, st.Uid, st.Gid, e.UID, e.GID)
	}
	if out, err := asUser(t, e, "rm", f); err != nil {
		t.Errorf("the user cannot remove %s: %v %s", f, err, out)
	}
}

// normalize turns /proc/PID/uid_map's padded columns into Format's.
func normalize(m string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(m), "\n") {
		b.WriteString(strings.Join(strings.Fields(l), " ") + "\n")
	}
	return b.String()
}

func TestKeepIDWithoutRanges(t *testing.T) {
	e := testutil.Get(t, testutil.RangelessUser)
	t.Cleanup(func() { e.CheckClean(t) })
	r := e.Run(t, "", "run", "--userns", "keep-id", "-w", "/tmp/keep-id-dir/sub", e.Rootfs, "sh", "-c",
		`id -u; cat /proc/self/uid_map; stat -c %u /tmp/keep-id-dir/sub; cd /; rm -r /tmp/keep-id-dir`)
	if r.Status != 0 {
		t.Fatalf("status %d: %s", r.Status, r.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	want := []string{fmt.Sprint(e.UID), fmt.Sprintf("%d %d 1", e.UID, e.UID), fmt.Sprint(e.UID)}
	if len(lines) != 3 || lines[0] != want[0] || normalize(lines[1]) != want[1]+"\n" || lines[2] != want[2] {
		t.Errorf("keep-id without ranges: %q, want %q", lines, want)
	}
	// The init stage ran as the user, not as root, on its ambient
	// capabilities: /proc, /dev and pivot_root worked (the command ran at
	// all), and the work directory it made and chowned is the user's.
}

func TestWorkdirIsCreatedForTheUser(t *testing.T) {
	e := user(t)
	root := usersRootfs(t, e)
	out := e.MustRun(t, "run", "-u", "1000:1000", "-w", "/new/dir", root, "sh", "-c", `pwd; stat -c %u:%g /new /new/dir; touch file`)
	if got := strings.Fields(out); len(got) != 3 || got[0] != "/new/dir" || got[1] != "1000:1000" || got[2] != "1000:1000" {
		t.Errorf("-w /new/dir: %q, want /new/dir and both owned by 1000:1000", out)
	}
	// Through a symlink that points out of the rootfs: resolved inside.
	outside := filepath.Join(filepath.Dir(root), "outside")
	os.Mkdir(outside, 0o755)
	link := filepath.Join(root, "escape")
	os.Symlink(outside, link)
	chownToUser(e, link)
	// The link dangles inside the rootfs: urun refuses to create through
	// it (one line, 125) and nothing appears outside.
	badInput(t, e, "creating the work directory /escape/sub", "run", "-w", "/escape/sub", root, "true")
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("-w through a symlink made %v outside the rootfs", ents)
	}
	// Once the target exists inside the rootfs, the path goes there.
	inside := filepath.Join(root, outside)
	os.MkdirAll(inside, 0o755)
	chownToUser(e, inside)
	e.MustRun(t, "run", "-w", "/escape/sub", root, "true")
	if _, err := os.Stat(filepath.Join(inside, "sub")); err != nil {
		t.Errorf("-w /escape/sub was not made inside the rootfs: %v", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("-w through a symlink made %v outside the rootfs", ents)
	}
	badInput(t, e, "is not a directory", "run", "-w", "/etc/passwd/x", root, "true")
}

func TestUserFlagsBadInput(t *testing.T) {
	e := user(t)
	for _, c := range []struct {
		want string
		args []string
	}{
		{"bad --user", []string{"-u", ":1000"}},
		{"bad --user", []string{"-u", "a:b:c"}},
		{"out of range", []string{"-u", "4294967295"}},
		{"bad --userns", []string{"--userns", "auto"}},
		{"bad --group-add", []string{"--group-add", "a:b"}},
	} {
		badInput(t, e, c.want, append(append([]string{"run"}, c.args...), e.Rootfs, "true")...)
	}
}

func TestUnmappedUserRefused(t *testing.T) {
	e := testutil.Get(t, testutil.RangelessUser)
	t.Cleanup(func() { e.CheckClean(t) })
	badInput(t, e, "user 1000 is not mapped", "run", "-q", "-u", "1000", e.Rootfs, "true")
}

// keep-id gives the user a name inside, as podman does, through a copy of
// /etc/passwd bound over the rootfs's, which stays as it was.
func TestKeepIDAddsPasswdEntry(t *testing.T) {
	e := user(t)
	root := copyRootfs(t, e)
	before, _ := os.ReadFile(filepath.Join(root, "etc", "passwd"))
	out := e.MustRun(t, "run", "--userns", "keep-id", root, "sh", "-c", "whoami; grep -c '^root:' /etc/passwd")
	if got := strings.Fields(out); len(got) != 2 || got[0] != e.User || got[1] != "1" {
		t.Errorf("whoami with keep-id: %q, want %s and root's entry kept", out, e.User)
	}
	if after, _ := os.ReadFile(filepath.Join(root, "etc", "passwd")); string(after) != string(before) {
		t.Errorf("the rootfs's /etc/passwd changed:\n%s", after)
	}
}

// A user other than root gets a terminal it owns, as a login does, so
// programs that reopen it (/dev/pts/0, /dev/tty) work.
func TestTerminalBelongsToTheUser(t *testing.T) {
	e := user(t)
	root := usersRootfs(t, e)
	tm := startOnTerminal(t, e, "run", "-u", "alice", "--network", "none", root, "sh", "-c",
		`echo "owner=$(stat -c %u $(tty)) id=$(id -u)"; echo ok > $(tty)`)
	out := tm.wait(0)
	if !strings.Contains(out, "owner=1000 id=1000") || !strings.Contains(out, "ok") {
		t.Errorf("-t -u alice: %q, want owner=1000 id=1000 and a write to the tty", out)
	}
}
