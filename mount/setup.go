package mount

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/trace"
	"golang.org/x/sys/unix"
)

// Options tune the plan beyond what the OCI spec says.
type Options struct {
	// CgroupRequired makes a failed cgroup2 mount an error; otherwise the
	// container gets an empty /sys/fs/cgroup (no limits were asked for).
	CgroupRequired bool
	// HaveScope says the init stage sits in a cgroup of its own (a
	// delegated scope), so a cgroup2 mount shows only the container's
	// cgroup. Without one the cgroup namespace would be rooted wherever
	// urun was started, showing the host's tree: /sys/fs/cgroup is then
	// an empty read-only tmpfs.
	HaveScope bool
	// GID5Mapped says whether gid 5 (tty) exists in the container, so devpts
	// can give new terminals that group.
	GID5Mapped bool
	// Overlay, when set, mounts an overlay over the rootfs instead of
	// binding it: the rootfs is a lower layer and is never written.
	Overlay *Overlay
	// CallerMountNS: the config asks for no mount namespace (the spec
	// allows it; runtime-tools' linux_ns_itype checks it), so the stage
	// mounts in its caller's, where the mounts stay after the container
	// ends, as with crun. pivot_root would move the root of every process
	// there, so the container gets a chroot instead.
	CallerMountNS bool
}

// devices are bind-mounted from the host: a user namespace cannot mknod, and a
// bind mount of the host's node keeps the host mount's dev flag.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

var devLinks = [][2]string{
	{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
	{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
}

// Setup carries out the mount plan of s in the current mount namespace and
// pivots into the rootfs. On return the process's root and working directory
// are the container's root.
func Setup(s *specs.Spec, o Options) error {
	root := s.Root.Path
	// Nothing we mount may propagate back to the host. Without a mount
	// namespace of its own the caller's propagation is the caller's.
	if !o.CallerMountNS {
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("making / private: %w", err)
		}
	}
	// pivot_root needs the new root to be a mount point.
	if o.Overlay != nil {
		if err := mountOverlay(root, o.Overlay); err != nil {
			return err
		}
	} else if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mounting the rootfs %s: %w", root, err)
	}
	// Opened after the mount, so the handle is the new mount's root: every
	// later path is resolved from it.
	rootFd, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the rootfs %s: %w", root, err)
	}
	defer rootFd.Close()
	trace.Mark("mount: / private, rootfs bound")
	for _, m := range s.Mounts {
		if err := mountOne(rootFd, s, m, o); err != nil {
			return err
		}
		if trace.On() {
			trace.Mark("mount: " + m.Type + " " + m.Destination)
		}
	}
	if s.Linux != nil {
		if err := createDevices(rootFd, s.Linux.Devices); err != nil {
			return err
		}
	}
	// Masks and read-only paths come after every user mount, so that a
	// volume cannot uncover them.
	if s.Linux != nil {
		for _, p := range s.Linux.MaskedPaths {
			if err := mask(rootFd, p); err != nil {
				return err
			}
		}
		for _, p := range s.Linux.ReadonlyPaths {
			if err := readonly(rootFd, p); err != nil {
				return err
			}
		}
	}
	trace.Mark("mount: masked and read-only paths")
	if s.Root.Readonly {
		// The root mount only: the tmpfs and volumes on it keep their own.
		if err := setAttr(rootFd, unix.MOUNT_ATTR_RDONLY, 0, false); err != nil {
			return fmt.Errorf("making the rootfs read-only: %w", err)
		}
	}
	if o.CallerMountNS {
		return enterChroot(rootFd)
	}
	if err := pivot(rootFd); err != nil {
		return err
	}
	if s.Linux != nil && s.Linux.RootfsPropagation != "" {
		return rootPropagation(s.Linux.RootfsPropagation)
	}
	return nil
}

// rootPropagation gives the container's / the propagation
// linux.rootfsPropagation names, once it is the root: before, the mount
// namespace's / was made private so that nothing of the set-up reached the
// host.
func rootPropagation(name string) error {
	p, ok := propagationOptions[name]
	if !ok {
		return fmt.Errorf("linux.rootfsPropagation %q is not a propagation: use shared, slave, private or unbindable (r-prefixed for submounts too)", name)
	}
	flags := uintptr(p.prop)
	if p.recursive {
		flags |= unix.MS_REC
	}
	if err := unix.Mount("", "/", "", flags, ""); err != nil {
		return fmt.Errorf("setting the rootfs propagation %s: %w", name, err)
	}
	return nil
}

func isBind(m specs.Mount, o options) bool {
	return m.Type == "bind" || o.flags&unix.MS_BIND != 0
}

func mountOne(root *os.File, s *specs.Spec, m specs.Mount, o Options) error {
	opt := parseOptions(m.Options)
	if isBind(m, opt) {
		return bindOne(root, s, m, opt)
	}
	if err := noSymlink(root, m.Destination); err != nil {
		return err
	}
	if m.Type == "cgroup2" || m.Type == "cgroup" {
		// cgroup v1 hierarchies are not the container's to mount (they
		// would be the host's): a cgroup mount is the container's own
		// cgroup2, as crun gives on a v2 host.
		return mountCgroup(root, m, opt, o)
	}
	data := opt.data
	if m.Type == "devpts" && o.GID5Mapped {
		data += ",gid=5"
	}
	mnt, err := newFS(m.Type, m.Source, opt.flags, data)
	if err != nil {
		if m.Type == "sysfs" {
			// A fresh sysfs needs a network namespace of our own; with
			// the host's network the host's /sys is shown read-only.
			return bindHostSys(root, m.Destination)
		}
		return fmt.Errorf("mounting %s on %s: %w", m.Type, m.Destination, err)
	}
	defer mnt.Close()
	dev := m.Destination == "/dev"
	if dev {
		// Filled while detached: nothing of the rootfs is reachable from
		// the new tmpfs, whatever the rootfs's /dev was.
		if err := populateDev(mnt); err != nil {
			return err
		}
	}
	target, err := ensureTarget(root, m.Destination, true)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := attach(mnt, target); err != nil {
		return fmt.Errorf("mounting %s on %s: %w", m.Type, m.Destination, err)
	}
	if opt.propagation != 0 {
		if err := setAttr(mnt, 0, opt.propagation, opt.recProp); err != nil {
			return fmt.Errorf("propagation of %s: %w", m.Destination, err)
		}
	}
	if dev {
		return bindDevices(mnt)
	}
	return nil
}

// bindOne bind-mounts a host path (a volume, /etc/hosts) into the rootfs: a
// file onto a file, a directory onto a directory, read-only before it is
// ever attached.
func bindOne(root *os.File, s *specs.Spec, m specs.Mount, opt options) error {
	recursive := opt.flags&unix.MS_REC != 0
	if opt.chown {
		var uid, gid uint32
		if s.Process != nil {
			uid, gid = s.Process.User.UID, s.Process.User.GID
		}
		if err := chownTree(m.Source, int(uid), int(gid)); err != nil {
			return err
		}
	}
	tree, err := cloneTree(m.Source, recursive)
	if err != nil {
		return fmt.Errorf("bind-mounting %s on %s: %w", m.Source, m.Destination, err)
	}
	defer tree.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(tree.Fd()), &st); err != nil {
		return fmt.Errorf("stat %s: %w", m.Source, err)
	}
	target, err := ensureTarget(root, m.Destination, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer target.Close()
	attrs := attrFlags(opt.flags)
	err = setAttr(tree, attrs, 0, recursive)
	const atime = unix.MOUNT_ATTR_NOATIME | unix.MOUNT_ATTR_STRICTATIME
	if errors.Is(err, unix.EPERM) && attrs&atime != 0 {
		// In a user namespace the source's access-time mode is locked
		// (the host's mount): keep it, as crun does, and set the rest.
		err = setAttr(tree, attrs&^atime, 0, recursive)
	}
	if err != nil {
		return fmt.Errorf("bind-mounting %s on %s: %w", m.Source, m.Destination, err)
	}
	if err := attach(tree, target); err != nil {
		return fmt.Errorf("bind-mounting %s on %s: %w", m.Source, m.Destination, err)
	}
	// Propagation is set once attached: a detached tree has no peers.
	if err := setAttr(tree, 0, opt.propagation, opt.recProp); err != nil {
		return fmt.Errorf("propagation of %s: %w", m.Destination, err)
	}
	return nil
}

// chownTree is podman's `:U`: the source and everything below it become the
// container user's, as root of the user namespace, never following a
// symlink (lchown; WalkDir does not descend through links).
func chownTree(src string, uid, gid int) error {
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		return fmt.Errorf("chown of %s: %w", src, err)
	}
	err = filepath.WalkDir(real, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("chown of %s to %d:%d (:U): %w", src, uid, gid, err)
	}
	return nil
}

// bindHostSys shows the host's /sys read-only, submounts included.
func bindHostSys(root *os.File, dest string) error {
	tree, err := cloneTree("/sys", true)
	if err != nil {
		return fmt.Errorf("bind-mounting /sys: %w", err)
	}
	defer tree.Close()
	if err := setAttr(tree, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC, 0, true); err != nil {
		return fmt.Errorf("making /sys read-only: %w", err)
	}
	target, err := ensureTarget(root, dest, true)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := attach(tree, target); err != nil {
		return fmt.Errorf("bind-mounting /sys: %w", err)
	}
	return nil
}

// mountCgroup puts the container's own cgroup on /sys/fs/cgroup, or an
// empty read-only tmpfs when there is no scope to show.
func mountCgroup(root *os.File, m specs.Mount, opt options, o Options) error {
	target, err := lookup(root, m.Destination)
	if err != nil {
		if o.CgroupRequired {
			return fmt.Errorf("resolving %s: %w", m.Destination, err)
		}
		return nil
	}
	defer target.Close()
	if o.HaveScope {
		err := cgroupOn(target, m, opt)
		if err == nil || o.CgroupRequired {
			return err
		}
	}
	return emptyDir(target)
}

func cgroupOn(target *os.File, m specs.Mount, opt options) error {
	mnt, err := newFS("cgroup2", m.Source, opt.flags, opt.data)
	if err != nil {
		return fmt.Errorf("mounting cgroup2 on %s: %w", m.Destination, err)
	}
	defer mnt.Close()
	err = attach(mnt, target)
	if errors.Is(err, unix.EBUSY) {
		// The host's cgroup2 came along with the host's /sys, and the
		// kernel will not stack a file system on itself: a tmpfs between.
		between, terr := newFS("tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=755")
		if terr != nil {
			return fmt.Errorf("covering the host's cgroup file system: %w", terr)
		}
		defer between.Close()
		if terr := attach(between, target); terr != nil {
			return fmt.Errorf("covering the host's cgroup file system: %w", terr)
		}
		err = attach(mnt, between)
	}
	if err != nil {
		return fmt.Errorf("mounting cgroup2 on %s: %w", m.Destination, err)
	}
	return nil
}

// emptyDir covers a directory with an empty read-only tmpfs.
func emptyDir(target *os.File) error {
	mnt, err := newFS("tmpfs", "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=755")
	if err != nil {
		return fmt.Errorf("covering %s: %w", target.Name(), err)
	}
	defer mnt.Close()
	if err := attach(mnt, target); err != nil {
		return fmt.Errorf("covering %s: %w", target.Name(), err)
	}
	return nil
}

// populateDev creates the device mount points and links in the detached
// /dev tmpfs.
func populateDev(dev *os.File) error {
	// The default mounts' own mount points, so that none needs the
	// (slower) create-inside-the-rootfs path.
	for _, d := range []string{"pts", "shm", "mqueue"} {
		if err := unix.Mkdirat(int(dev.Fd()), d, 0o755); err != nil {
			return fmt.Errorf("creating /dev/%s: %w", d, err)
		}
	}
	for _, d := range devices {
		fd, err := unix.Openat(int(dev.Fd()), d, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0o666)
		if err != nil {
			return fmt.Errorf("creating /dev/%s: %w", d, err)
		}
		unix.Close(fd)
	}
	for _, l := range devLinks {
		if err := unix.Symlinkat(l[0], int(dev.Fd()), l[1]); err != nil {
			return fmt.Errorf("linking /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// bindDevices binds the host's device nodes onto the files populateDev made,
// reached through the handle of the attached /dev tmpfs.
func bindDevices(dev *os.File) error {
	for _, d := range devices {
		fd, err := unix.Openat(int(dev.Fd()), d, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening /dev/%s: %w", d, err)
		}
		target := os.NewFile(uintptr(fd), "/dev/"+d)
		err = bindHost("/dev/"+d, target)
		target.Close()
		if err != nil {
			return fmt.Errorf("bind-mounting /dev/%s: %w", d, err)
		}
	}
	return nil
}

// bindHost binds the host path src (not recursive) onto target.
func bindHost(src string, target *os.File) error {
	tree, err := cloneTree(src, false)
	if err != nil {
		return err
	}
	defer tree.Close()
	return attach(tree, target)
}

// mask hides a path: /dev/null over a file, an empty read-only tmpfs over a
// directory. Paths the kernel does not have are skipped.
func mask(root *os.File, p string) error {
	h, err := lookup(root, p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("masking %s: %w", p, err)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return fmt.Errorf("masking %s: %w", p, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		err = emptyDir(h)
	} else {
		err = bindHost("/dev/null", h)
	}
	if err != nil {
		return fmt.Errorf("masking %s: %w", p, err)
	}
	return nil
}

// readonly makes a path read-only: a read-only copy of its mount, with
// submounts, is attached onto it.
func readonly(root *os.File, p string) error {
	h, err := lookup(root, p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("making %s read-only: %w", p, err)
	}
	defer h.Close()
	tree, err := cloneHandle(h, true)
	if err != nil {
		return fmt.Errorf("making %s read-only: %w", p, err)
	}
	defer tree.Close()
	if err := setAttr(tree, unix.MOUNT_ATTR_RDONLY, 0, true); err != nil {
		return fmt.Errorf("making %s read-only: %w", p, err)
	}
	if err := attach(tree, h); err != nil {
		return fmt.Errorf("making %s read-only: %w", p, err)
	}
	return nil
}

// pivot makes root the process's root with pivot_root (never chroot: a chroot
// leaves the host's tree reachable) and detaches the old root. It uses the
// pivot_root(".", ".") idiom so the rootfs needs no directory for the old root.
func pivot(root *os.File) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the old root: %w", err)
	}
	defer unix.Close(oldroot)
	if err := unix.Fchdir(int(root.Fd())); err != nil {
		return fmt.Errorf("entering the rootfs: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into the rootfs: %w", err)
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return fmt.Errorf("entering the old root: %w", err)
	}
	// Unmounting must not reach the host's mounts through shared propagation.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making the old root a slave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("entering the new root: %w", err)
	}
	return nil
}

// enterChroot makes root the process's root without pivot_root, for a
// container in its caller's mount namespace (Options.CallerMountNS): a
// pivot_root there would change the root of the caller and of every other
// process that shares the namespace.
func enterChroot(root *os.File) error {
	if err := unix.Fchdir(int(root.Fd())); err != nil {
		return fmt.Errorf("entering the rootfs: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot into the rootfs: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("entering the new root: %w", err)
	}
	return nil
}
