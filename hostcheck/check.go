package hostcheck

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/urun-dev/urun/cgroupdelegate"
	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/internal/hostbin"
	"golang.org/x/sys/unix"
)

// Status grades one finding.
type Status int

// The grades: OK works; Warn works with less (urun runs, some feature is
// missing); Fail means urun (or the feature the line names) cannot work.
const (
	OK Status = iota
	Warn
	Fail
)

func (s Status) String() string {
	return [...]string{"ok", "warn", "FAIL"}[s]
}

// Finding is one line of the report.
type Finding struct {
	Name   string // what was checked
	Status Status
	Detail string // what was found
	Fix    string // what to do, when Status is not OK
}

// Host is what the probes look at; tests point it at other files.
type Host struct {
	UID, GID   int
	User       string
	SubUIDFile string
	SubGIDFile string
	CgroupRoot string
	TunPath    string
	// LookPath finds helper programs as urun does (hostbin.Find).
	LookPath func(string) (string, error)
}

// Current describes the calling user on this machine.
func Current() Host {
	h := Host{
		UID: os.Getuid(), GID: os.Getgid(),
		SubUIDFile: idmap.SubUIDFile, SubGIDFile: idmap.SubGIDFile,
		CgroupRoot: cgroupdelegate.Mountpoint, TunPath: "/dev/net/tun",
		LookPath: hostbin.Find,
	}
	if u, err := user.LookupId(strconv.Itoa(h.UID)); err == nil {
		h.User = u.Username
	}
	return h
}

// ErrProblems is returned by Report when at least one finding is Fail.
var ErrProblems = errors.New("this host cannot run urun fully; see the lines marked FAIL")

// Report probes the host for the calling user and writes one line per
// finding, each not-OK one followed by what to do. It returns ErrProblems
// (wrapped) when something urun needs is missing.
func Report(w io.Writer) error {
	h := Current()
	return Write(w, h, h.Run())
}

// Write prints findings as Report does.
func Write(w io.Writer, h Host, fs []Finding) error {
	who := strconv.Itoa(h.UID)
	if h.User != "" {
		who = fmt.Sprintf("%s (uid %d)", h.User, h.UID)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "urun check: what this host gives %s\n", who)
	fails := 0
	for _, f := range fs {
		fmt.Fprintf(&b, "  %-4s  %-17s %s\n", f.Status, f.Name, f.Detail)
		if f.Status != OK && f.Fix != "" {
			fmt.Fprintf(&b, "  %-4s  %-17s -> %s\n", "", "", f.Fix)
		}
		if f.Status == Fail {
			fails++
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if fails > 0 {
		return fmt.Errorf("%d problem(s): %w", fails, ErrProblems)
	}
	return nil
}

// Run runs every probe.
func (h Host) Run() []Finding {
	out := []Finding{h.kernel(), h.userns()}
	out = append(out, h.subids()...)
	out = append(out, h.helpers()...)
	out = append(out, h.cgroups()...)
	out = append(out, h.slirp(), h.tun())
	return out
}

func (h Host) kernel() Finding {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return Finding{Name: "kernel", Status: Warn, Detail: err.Error()}
	}
	return Finding{Name: "kernel", Status: OK, Detail: unix.ByteSliceToString(u.Release[:])}
}

// userns clones a child in a new user namespace: the one test that covers
// every way a distribution can forbid it (sysctls, AppArmor, seccomp).
func (h Host) userns() Finding {
	f := Finding{Name: "user namespaces"}
	// Any tiny program will do as the child: the clone is the test.
	prog := "/bin/true"
	if _, err := os.Stat(prog); err != nil {
		prog = "/usr/bin/true"
	}
	cmd := exec.Command(prog)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER}
	if err := cmd.Run(); err != nil {
		f.Status = Fail
		f.Detail = "cannot create a user namespace: " + err.Error()
		f.Fix = "allow unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 (Debian), " +
			"user.max_user_namespaces=15000, or kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu)"
		return f
	}
	f.Status, f.Detail = OK, "a user namespace can be created"
	return f
}

func (h Host) subids() []Finding {
	var out []Finding
	for _, k := range []struct {
		name, file, flag string
		id               int
	}{{"subuid", h.SubUIDFile, "--add-subuids", h.UID}, {"subgid", h.SubGIDFile, "--add-subgids", h.GID}} {
		f := Finding{Name: k.name}
		if h.UID == 0 {
			f.Status, f.Detail = OK, "root maps its own ids; no range needed"
			out = append(out, f)
			continue
		}
		ranges, err := idmap.ReadRanges(k.file, h.User, k.id)
		switch {
		case err != nil:
			f.Status, f.Detail = Fail, err.Error()
			f.Fix = "fix the file (lines are NAME:START:COUNT)"
		case len(ranges) == 0:
			f.Status = Warn
			f.Detail = fmt.Sprintf("no range in %s: containers map only your own id", k.file)
			f.Fix = fmt.Sprintf("as root: usermod %s 100000-165535 %s", k.flag, nameOr(h))
		default:
			var parts []string
			total := uint64(0)
			for _, r := range ranges {
				parts = append(parts, fmt.Sprintf("%d-%d", r.Start, uint64(r.Start)+uint64(r.Count)-1))
				total += uint64(r.Count)
			}
			f.Status = OK
			f.Detail = fmt.Sprintf("%s (%d ids) in %s", strings.Join(parts, ", "), total, k.file)
			if total < 65536 {
				f.Status = Warn
				f.Fix = "images with ids above " + strconv.FormatUint(total-1, 10) + " will fail; 65536 ids is the usual size"
			}
		}
		out = append(out, f)
	}
	return out
}

func nameOr(h Host) string {
	if h.User != "" {
		return h.User
	}
	return strconv.Itoa(h.UID)
}

// helpers checks newuidmap and newgidmap: they must exist and be setuid root
// (or carry file capabilities) to write ranges beyond the user's own id.
func (h Host) helpers() []Finding {
	var out []Finding
	for _, name := range []string{"newuidmap", "newgidmap"} {
		f := Finding{Name: name}
		p, err := h.LookPath(name)
		if err != nil {
			f.Status = Warn
			f.Detail = "not found: containers map only your own id"
			f.Fix = "install the uidmap package (apt-get install uidmap)"
			if h.UID == 0 {
				f.Status, f.Detail, f.Fix = OK, "not needed as root", ""
			}
			out = append(out, f)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			f.Status, f.Detail = Warn, err.Error()
			out = append(out, f)
			continue
		}
		sys, _ := st.Sys().(*syscall.Stat_t)
		setuid := st.Mode()&os.ModeSetuid != 0 && sys != nil && sys.Uid == 0
		_, capErr := unix.Getxattr(p, "security.capability", nil)
		switch {
		case setuid:
			f.Status, f.Detail = OK, p+" (setuid root)"
		case capErr == nil:
			f.Status, f.Detail = OK, p+" (file capabilities)"
		default:
			f.Status = Warn
			f.Detail = p + " is neither setuid root nor has file capabilities: it cannot map ranges"
			f.Fix = "as root: chmod u+s " + p + " (or reinstall the uidmap package)"
		}
		out = append(out, f)
	}
	return out
}

// wanted are the controllers urun's limits need, with the flag that needs each.
var wanted = []struct{ controller, flag string }{
	{"memory", "--memory"}, {"cpu", "--cpus"}, {"pids", "--pids-limit"},
}

func (h Host) cgroups() []Finding {
	v2 := Finding{Name: "cgroup v2"}
	ok, err := cgroupdelegate.IsCgroup2(h.CgroupRoot)
	switch {
	case err != nil:
		v2.Status, v2.Detail = Warn, err.Error()
		v2.Fix = "limits (--memory, --cpus, --pids-limit) need cgroup v2 mounted at " + h.CgroupRoot
		return []Finding{v2}
	case !ok:
		v2.Status = Warn
		v2.Detail = h.CgroupRoot + " is cgroup v1 or a v1/v2 hybrid: containers run without limits"
		v2.Fix = "for --memory, --cpus and --pids-limit boot with systemd.unified_cgroup_hierarchy=1 (the default since systemd 247)"
		return []Finding{v2}
	}
	v2.Status, v2.Detail = OK, "unified hierarchy at "+h.CgroupRoot
	out := []Finding{v2}

	mgr := Finding{Name: "systemd manager"}
	info, err := cgroupdelegate.ProbeManager()
	if err != nil {
		mgr.Status = Warn
		mgr.Detail = "not reachable: containers run without a cgroup scope and limits fail (" + oneLine(err) + ")"
		if h.UID == 0 {
			mgr.Fix = "run urun on a host booted with systemd"
		} else {
			mgr.Fix = "loginctl enable-linger " + nameOr(h) + " (or log in through systemd-logind so your user manager and its bus run)"
		}
		info.Cgroup = fmt.Sprintf("/user.slice/user-%d.slice/user@%d.service", h.UID, h.UID)
		if h.UID == 0 {
			info.Cgroup = "/"
		}
	} else {
		mgr.Status = OK
		mgr.Detail = info.Where
		if info.Version != "" {
			mgr.Detail += " (systemd " + info.Version + ")"
		}
	}
	out = append(out, mgr)

	ctl := Finding{Name: "controllers"}
	have, err := cgroupdelegate.Controllers(filepath.Join(h.CgroupRoot, info.Cgroup))
	if err != nil {
		ctl.Status = Warn
		ctl.Detail = "cannot read the delegated controllers of " + info.Cgroup + ": " + oneLine(err)
		ctl.Fix = "start your user manager first (see the line above)"
		return append(out, ctl)
	}
	var missing []string
	for _, w := range wanted {
		if !slices.Contains(have, w.controller) {
			missing = append(missing, w.controller+" (for "+w.flag+")")
		}
	}
	ctl.Detail = "delegated: " + strings.Join(have, " ")
	if len(have) == 0 {
		ctl.Detail = "none delegated"
	}
	if len(missing) == 0 {
		ctl.Status = OK
		return append(out, ctl)
	}
	ctl.Status = Warn
	ctl.Detail += "; missing " + strings.Join(missing, ", ")
	if h.UID == 0 {
		ctl.Fix = "enable the controllers in the kernel and the system manager"
	} else {
		ctl.Fix = "as root: put \"[Service]\" and \"Delegate=cpu cpuset io memory pids\" in /etc/systemd/system/user@.service.d/delegate.conf, systemctl daemon-reload, log in again"
	}
	return append(out, ctl)
}

func (h Host) slirp() Finding {
	f := Finding{Name: "slirp4netns"}
	p, err := h.LookPath("slirp4netns")
	if err != nil {
		f.Status = Warn
		f.Detail = "not found: containers get no network but loopback"
		f.Fix = "install the slirp4netns package (apt-get install slirp4netns)"
		return f
	}
	f.Status, f.Detail = OK, p
	if out, err := exec.Command(p, "--version").Output(); err == nil {
		if first, _, _ := strings.Cut(string(out), "\n"); first != "" {
			f.Detail += " (" + strings.TrimSpace(first) + ")"
		}
	}
	return f
}

// tun opens the tun device the way slirp4netns will (it needs read and write;
// opening alone creates no interface).
func (h Host) tun() Finding {
	f := Finding{Name: "tun device"}
	fd, err := unix.Open(h.TunPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		f.Status = Warn
		f.Detail = fmt.Sprintf("cannot open %s: %v: slirp4netns networking fails", h.TunPath, err)
		if errors.Is(err, unix.ENOENT) {
			f.Fix = "as root: modprobe tun"
		} else {
			f.Fix = "as root: chmod 0666 " + h.TunPath + " (what Debian's udev rules set)"
		}
		return f
	}
	unix.Close(fd)
	f.Status, f.Detail = OK, h.TunPath+" is open to you"
	return f
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
