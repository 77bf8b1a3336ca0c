package spec

import (
	"encoding/json"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultPath is the PATH a container gets when the user sets none (docker's).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Options is what the CLI collected, already parsed and checked.
type Options struct {
	Rootfs   string   // absolute host path
	Args     []string // the command and its arguments
	Env      []string // KEY=VALUE from -e
	Workdir  string   // absolute, cleaned
	Hostname string
	// NetNS says whether the container gets its own network namespace
	// (false only for --network host).
	NetNS    bool
	Terminal bool
	// Security: --security-opt (seccomp, no-new-privileges).
	Security SecurityOpts
	// Process: the user, capabilities, rlimits and sysctls (process.go).
	Process ProcessOptions

	// Files (-v, --mount, --tmpfs, --read-only, --overlay): Mounts are the
	// user's mounts in command-line order, after the default ones; ReadOnly
	// binds the rootfs read-only, with ReadOnlyTmpfs's tmpfs on /tmp,
	// /var/tmp and /run; Overlay (nil: none) is the copy-on-write root.
	Mounts        []specs.Mount
	ReadOnly      bool
	ReadOnlyTmpfs bool
	Overlay       *Overlay

	// Image runs: Layers are the image's layers above the rootfs (which is
	// its lowest one), uppermost first; they need Overlay. UserRoot is
	// where -u names are looked up when that is not the rootfs (the layer
	// that holds the image's /etc/passwd).
	Layers   []string
	UserRoot string
}

// Overlay asks for a copy-on-write root: Dir keeps the upper layer
// (--overlay=DIR, DIR/upper and DIR/work), empty is a throwaway one.
type Overlay struct {
	Dir string
}

// OverlayAnnotation carries --overlay in the spec (OCI has no such root):
// its value is the kept directory, empty for a throwaway upper layer.
const OverlayAnnotation = "run.urun.overlay"

// LayersAnnotation carries an image's layers above the rootfs, a JSON list
// uppermost first (overlayfs's lowerdir order).
const LayersAnnotation = "run.urun.overlay.layers"

// DefaultCaps is the capability set of the container's processes: podman's
// rootless default, smaller than docker's (no NET_RAW, MKNOD, AUDIT_WRITE).
var DefaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT",
}

// MaskedPaths hide kernel information the container has no business reading.
var MaskedPaths = []string{
	"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
}

// ReadonlyPaths are kernel knobs the container may read but not turn.
var ReadonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// Namespaces are a run's new namespaces: user, PID, UTS, mount, IPC and
// cgroup, and with netNS a network namespace.
func Namespaces(netNS bool) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{
		{Type: specs.UserNamespace}, {Type: specs.PIDNamespace}, {Type: specs.UTSNamespace},
		{Type: specs.MountNamespace}, {Type: specs.IPCNamespace}, {Type: specs.CgroupNamespace},
	}
	if netNS {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	return ns
}

// New builds the OCI spec for one run. It fails on options that can only be
// checked against each other or the host (a profile file, a user name).
func New(o Options) (*specs.Spec, error) {
	env := MergeEnv([]string{"PATH=" + DefaultPath, "HOME=/root", "HOSTNAME=" + o.Hostname, "container=urun"}, o.Env)
	ns := Namespaces(o.NetNS)
	s := &specs.Spec{
		Version:  specs.Version,
		Hostname: o.Hostname,
		Root:     &specs.Root{Path: o.Rootfs},
		Process: &specs.Process{
			Terminal: o.Terminal,
			Args:     o.Args,
			Env:      env,
			Cwd:      o.Workdir,
		},
		Mounts: DefaultMounts(),
		Linux: &specs.Linux{
			Namespaces:    ns,
			MaskedPaths:   append([]string(nil), MaskedPaths...),
			ReadonlyPaths: append([]string(nil), ReadonlyPaths...),
		},
	}
	s.Root.Readonly = o.ReadOnly
	if o.ReadOnly && o.ReadOnlyTmpfs {
		for _, m := range ReadOnlyTmpfs() {
			if !hasDest(o.Mounts, m.Destination) {
				s.Mounts = append(s.Mounts, m)
			}
		}
	}
	s.Mounts = append(s.Mounts, o.Mounts...)
	s.Annotations = map[string]string{userMountsAnnotation: strconv.Itoa(len(o.Mounts))}
	if o.Overlay != nil {
		s.Annotations[OverlayAnnotation] = o.Overlay.Dir
		if len(o.Layers) > 0 {
			b, err := json.Marshal(o.Layers)
			if err != nil {
				return nil, err
			}
			s.Annotations[LayersAnnotation] = string(b)
		}
	}
	if err := processPart(s, o); err != nil {
		return nil, err
	}
	// After processPart: the profile follows the final bounding set.
	var err error
	if s.Linux.Seccomp, err = Seccomp(o.Security.Seccomp, s.Process.Capabilities.Bounding); err != nil {
		return nil, err
	}
	return s, nil
}

// userMountsAnnotation counts the user's mounts at the end of s.Mounts.
const userMountsAnnotation = "run.urun.user-mounts"

// AddSystemMounts adds urun's own mounts (/etc/hosts, /etc/resolv.conf)
// before the user's mounts, so that a volume over /etc is not written to.
func AddSystemMounts(s *specs.Spec, ms ...specs.Mount) {
	n, _ := strconv.Atoi(s.Annotations[userMountsAnnotation])
	if n < 0 || n > len(s.Mounts) {
		n = 0
	}
	at := len(s.Mounts) - n
	s.Mounts = append(s.Mounts[:at], append(ms, s.Mounts[at:]...)...)
}

// HasDest reports whether a mount in s lands on dest (the user's own
// /etc/hosts replaces urun's, as in podman).
func HasDest(s *specs.Spec, dest string) bool { return hasDest(s.Mounts, dest) }

func hasDest(ms []specs.Mount, dest string) bool {
	for _, m := range ms {
		if m.Destination == dest {
			return true
		}
	}
	return false
}

// DefaultMounts are the kernel file systems every container gets, in mount order.
func DefaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
	}
}

// NewNamespace reports whether ns lists a new namespace of type t: one
// without a path, which the container gets of its own (one with a path is
// joined).
func NewNamespace(ns []specs.LinuxNamespace, t specs.LinuxNamespaceType) bool {
	for _, n := range ns {
		if n.Type == t && n.Path == "" {
			return true
		}
	}
	return false
}

// HasNamespace reports whether the spec asks for a namespace of type t.
func HasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s.Linux == nil {
		return false
	}
	for _, n := range s.Linux.Namespaces {
		if n.Type == t {
			return true
		}
	}
	return false
}
