package integration

import (
	"os"
	"strings"
	"testing"

	"github.com/urun-dev/urun/internal/testutil"
)

// A hostile rootfs (an image from the internet) controls every symlink in
// it. Each case below is an attack by such a rootfs on the user who runs it:
// the run is refused with one line (status 125) or the symlink is resolved
// inside the rootfs, and no file outside the rootfs changes.
type hostileCase struct {
	name string
	// setup runs as the user on the host with $R the rootfs copy and $D a
	// decoy directory of the user's (holding secret and sub/).
	setup string
	// args go before the rootfs ($D and $R are replaced); cmd runs inside.
	args []string
	cmd  string
	// refuse: the run must fail with 125 and one line containing this;
	// empty: it must succeed and print want (when set).
	refuse string
	want   string
}

// hostsOK checks the container's /etc/hosts is urun's, not the user's file.
const hostsOK = "grep -q localhost /etc/hosts && ! grep -q secret /etc/hosts && echo ok"

var hostileCases = []hostileCase{
	{name: "DevLinksToUsersDir", setup: `rm -rf $R/dev && ln -s $D $R/dev`, cmd: "true", refuse: "/dev is a symlink"},
	{name: "DevLinksThroughProcSelfCwd", setup: `rm -rf $R/dev && ln -s /proc/self/cwd$D $R/dev`, cmd: "true", refuse: "/dev is a symlink"},
	{name: "DevNullLinksToUsersFile", setup: `ln -sf $D/secret $R/dev/null && ln -sf $D/sub $R/dev/pts`, cmd: "echo x >/dev/null && ls /dev/pts/ptmx >/dev/null && echo ok", want: "ok"},
	{name: "ProcLinksToUsersDir", setup: `rm -rf $R/proc && ln -s $D $R/proc`, cmd: "true", refuse: "/proc is a symlink"},
	{name: "SysLinksToUsersDir", setup: `rm -rf $R/sys && ln -s $D/sub $R/sys`, cmd: "true", refuse: "/sys is a symlink"},
	{name: "EtcHostsLinksToUsersFile", setup: `ln -sf $D/secret $R/etc/hosts`, cmd: hostsOK, want: "ok"},
	{name: "EtcHostsLinksOutRelative", setup: `ln -sf ../../../../../../../..$D/secret $R/etc/hosts`, cmd: hostsOK, want: "ok"},
	{name: "EtcResolvConfLinksToUsersFile", setup: `ln -sf $D/secret $R/etc/resolv.conf`, args: []string{"--dns", "192.0.2.1"}, cmd: "cat /etc/resolv.conf | grep nameserver", want: "nameserver 192.0.2.1"},
	// A dangling /etc: followed inside the rootfs, where urun makes it.
	{name: "EtcLinksToUsersDir", setup: `mv $R/etc $R/etc.real && ln -s $D/sub $R/etc`, cmd: hostsOK, want: "ok"},
	{name: "EtcLinksToUsersDirInsideToo", setup: `mv $R/etc $R/etc.real && mkdir -p $R$D && cp -a $R/etc.real $R$D/sub && ln -s $D/sub $R/etc`, cmd: hostsOK, want: "ok"},
	// Mount targets through symlinks: resolved inside the rootfs.
	{name: "VolumeTargetLinksToUsersFile", setup: `echo vol >$R/../volfile && ln -s $D/secret $R/data`, args: []string{"-v", "$R/../volfile:/data"}, cmd: "cat /data", want: "vol"},
	// A dangling link is followed as if the rootfs were /: the mount
	// point is made where it points, inside the rootfs. Links through
	// /proc's magic links are refused.
	{name: "VolumeTargetLinksToUsersDir", setup: `mkdir $R/../voldir && ln -s $D/sub $R/data`, args: []string{"-v", "$R/../voldir:/data"}, cmd: "touch /data/new && ls /data", want: "new"},
	{name: "VolumeTargetThroughLinkedParent", setup: `mkdir $R/../voldir && ln -s $D $R/opt`, args: []string{"-v", "$R/../voldir:/opt/sub/deeper"}, cmd: "touch /opt/sub/deeper/new && echo ok", want: "ok"},
	{name: "VolumeTargetLinksToProcSelfCwd", setup: `mkdir $R/../voldir && ln -s /proc/self/cwd$D/sub $R/data`, args: []string{"-v", "$R/../voldir:/data"}, cmd: "true", refuse: "mount point /data cannot be made inside the rootfs"},
	{name: "VolumeTargetLinkLoop", setup: `mkdir $R/../voldir && ln -s /loop2 $R/loop1 && ln -s /loop1 $R/loop2`, args: []string{"-v", "$R/../voldir:/loop1"}, cmd: "true", refuse: "mount point /loop1"},
	{name: "VolumeTargetLinksInside", setup: `mkdir $R/../voldir && mkdir -p $R$D/sub && ln -s $D/sub $R/data`, args: []string{"-v", "$R/../voldir:/data"}, cmd: "touch /data/new && ls /data", want: "new"},
	{name: "TmpfsTargetLinksToUsersDir", setup: `ln -s $D/sub $R/scratch`, args: []string{"--tmpfs", "/scratch"}, cmd: "touch /scratch/x && echo ok", want: "ok"},
	// The decoy is under the host's /tmp, so inside the rootfs this link
	// is a loop (/tmp -> /tmp/...): refused.
	{name: "TmpLinksToUsersDirReadOnly", setup: `rm -rf $R/tmp && ln -s $D $R/tmp`, args: []string{"--read-only"}, cmd: "true", refuse: "mount point /tmp"},
	{name: "TmpLinksOutReadOnly", setup: `rm -rf $R/tmp && ln -s /srv/urun-no-such-dir $R/tmp`, args: []string{"--read-only"}, cmd: "touch /tmp/x && echo ok", want: "ok"},
	// Inside an overlay the link is the container's own business: it
	// resolves in the container's namespaces, never on the host.
	{name: "TmpLinksToUsersDirOverlay", setup: `rm -rf $R/tmp && ln -s $D $R/tmp`, args: []string{"--overlay"}, cmd: "touch /tmp/x 2>/dev/null; echo w >/tmp/secret 2>/dev/null; echo ok", want: "ok"},
}

func TestHostileRootfs(t *testing.T) {
	e := user(t)
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) { runHostile(t, e, c) })
	}
}

func runHostile(t *testing.T, e *testutil.Env, c hostileCase) {
	t.Cleanup(func() { e.CheckClean(t) })
	root := e.CopyRootfs(t)
	decoy := e.TempDir(t)
	e.Sh(t, "echo 'host secret' >"+decoy+"/secret && mkdir "+decoy+"/sub && echo keep >"+decoy+"/sub/file")
	sub := func(s string) string { return strings.NewReplacer("$R", root, "$D", decoy).Replace(s) }
	e.Sh(t, sub(c.setup))
	before := testutil.Tree(t, decoy)
	var home string
	if st, err := os.Stat(e.Home); err == nil && st.IsDir() {
		home = testutil.Tree(t, e.Home)
	}
	args := []string{"run", "--network", "none"}
	for _, a := range c.args {
		args = append(args, sub(a))
	}
	args = append(args, root, "sh", "-c", c.cmd)
	r := e.Run(t, "", args...)
	if c.refuse != "" {
		lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
		if r.Status != 125 || len(lines) != 1 || !strings.Contains(r.Stderr, c.refuse) {
			t.Errorf("status %d, stderr %q: want 125 and one line saying %q", r.Status, r.Stderr, c.refuse)
		}
	} else {
		if r.Status != 0 {
			t.Errorf("status %d, stderr %q: want the link resolved inside the rootfs", r.Status, r.Stderr)
		} else if c.want != "" && strings.TrimSpace(r.Stdout) != c.want {
			t.Errorf("inside: %q, want %q", r.Stdout, c.want)
		}
	}
	if after := testutil.Tree(t, decoy); after != before {
		t.Errorf("the user's directory outside the rootfs changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if home != "" {
		if after := testutil.Tree(t, e.Home); after != home {
			t.Errorf("the user's home changed:\nbefore:\n%s\nafter:\n%s", home, after)
		}
	}
	testutil.NoMountsUnder(t, root, decoy)
}

// Without a cgroup scope (no limits, or no systemd user manager) the
// container must not see the host's cgroup tree: /sys/fs/cgroup is empty and
// read-only, with its own network namespace and with the host's /sys.
func TestCgroupWithoutScopeShowsNothing(t *testing.T) {
	e := user(t)
	for _, netw := range []string{"none", "host"} {
		r := e.Run(t, "", "run", "--network", netw, e.Rootfs, "sh", "-c",
			`echo entries=$(ls -A /sys/fs/cgroup | wc -l); touch /sys/fs/cgroup/x 2>/dev/null && echo writable; grep ' /sys/fs/cgroup ' /proc/self/mountinfo | cut -d' ' -f9 | tail -1`)
		if r.Status != 0 {
			t.Fatalf("--network %s: status %d: %s", netw, r.Status, r.Stderr)
		}
		if got := strings.TrimSpace(r.Stdout); got != "entries=0\ntmpfs" {
			t.Errorf("--network %s: /sys/fs/cgroup: %q, want an empty read-only tmpfs", netw, got)
		}
	}
}
