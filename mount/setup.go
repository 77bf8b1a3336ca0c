package mount

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Options tune the plan beyond what the OCI spec says.
type Options struct {
	// CgroupRequired makes a failed cgroup2 mount an error; otherwise the
	// container simply has no cgroup file system (no limits were asked for).
	CgroupRequired bool
	// GID5Mapped says whether gid 5 (tty) exists in the container, so devpts
	// can give new terminals that group.
	GID5Mapped bool
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
	// Nothing we mount may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / private: %w", err)
	}
	// pivot_root needs the new root to be a mount point.
	if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mounting the rootfs %s: %w", root, err)
	}
	for _, m := range s.Mounts {
		if err := mountOne(root, m, o); err != nil {
			return err
		}
		if m.Destination == "/dev" {
			if err := populateDev(root); err != nil {
				return err
			}
		}
	}
	if s.Linux != nil {
		for _, p := range s.Linux.MaskedPaths {
			if err := mask(root, p); err != nil {
				return err
			}
		}
		for _, p := range s.Linux.ReadonlyPaths {
			if err := readonly(root, p); err != nil {
				return err
			}
		}
	}
	if err := pivot(root); err != nil {
		return err
	}
	if s.Root.Readonly {
		if err := remountRO("/"); err != nil {
			return err
		}
	}
	return nil
}

// target resolves dest inside root without letting symlinks in the rootfs lead
// outside it.
func target(root, dest string) (string, error) {
	p, err := securejoin.SecureJoin(root, dest)
	if err != nil {
		return "", fmt.Errorf("resolving %s in the rootfs: %w", dest, err)
	}
	return p, nil
}

func mountOne(root string, m specs.Mount, o Options) error {
	dst, err := target(root, m.Destination)
	if err != nil {
		return err
	}
	flags, data := parseOptions(m.Options)
	if m.Type == "devpts" && o.GID5Mapped {
		data += ",gid=5"
	}
	bind := flags&unix.MS_BIND != 0
	if err := makeTarget(dst, bind, m.Source); err != nil {
		return fmt.Errorf("creating mount point %s: %w", m.Destination, err)
	}
	if bind {
		if err := unix.Mount(m.Source, dst, "", flags&(unix.MS_BIND|unix.MS_REC), ""); err != nil {
			return fmt.Errorf("bind-mounting %s on %s: %w", m.Source, m.Destination, err)
		}
		if flags&unix.MS_RDONLY != 0 {
			return remountRO(dst)
		}
		return nil
	}
	err = unix.Mount(m.Source, dst, m.Type, flags, data)
	switch {
	case err == nil:
		return nil
	case m.Type == "sysfs":
		// A fresh sysfs needs a network namespace of our own; with the host's
		// network the host's /sys is shown read-only instead.
		if err := unix.Mount("/sys", dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind-mounting /sys: %w", err)
		}
		return remountTreeRO(dst)
	case m.Type == "cgroup2" && errors.Is(err, unix.EBUSY):
		// The host's cgroup2 came along with the host's /sys, and the kernel
		// will not stack a file system on itself: put a tmpfs between.
		if err := unix.Mount("tmpfs", dst, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,mode=755"); err != nil {
			return fmt.Errorf("covering the host's cgroup file system: %w", err)
		}
		if err = unix.Mount(m.Source, dst, m.Type, flags, data); err == nil || !o.CgroupRequired {
			return nil
		}
	case m.Type == "cgroup2" && !o.CgroupRequired:
		return nil
	}
	return fmt.Errorf("mounting %s on %s: %w", m.Type, m.Destination, err)
}

// makeTarget creates the mount point: a file for a bind mount of a file,
// otherwise a directory.
func makeTarget(dst string, bind bool, src string) error {
	if bind {
		if st, err := os.Stat(src); err == nil && !st.IsDir() {
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_RDONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
	}
	return os.MkdirAll(dst, 0o755)
}

func populateDev(root string) error {
	dev := filepath.Join(root, "dev")
	for _, d := range devices {
		p := filepath.Join(dev, d)
		f, err := os.OpenFile(p, os.O_CREATE|os.O_RDONLY, 0o666)
		if err != nil {
			return fmt.Errorf("creating /dev/%s: %w", d, err)
		}
		f.Close()
		if err := unix.Mount("/dev/"+d, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mounting /dev/%s: %w", d, err)
		}
	}
	for _, l := range devLinks {
		if err := os.Symlink(l[0], filepath.Join(dev, l[1])); err != nil {
			return fmt.Errorf("linking /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// mask hides a path: /dev/null over a file, an empty read-only tmpfs over a
// directory. Paths the kernel does not have are skipped.
func mask(root, p string) error {
	dst, err := target(root, p)
	if err != nil {
		return err
	}
	st, err := os.Stat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("masking %s: %w", p, err)
	}
	if st.IsDir() {
		err = unix.Mount("tmpfs", dst, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,mode=755")
	} else {
		err = unix.Mount("/dev/null", dst, "", unix.MS_BIND, "")
	}
	if err != nil {
		return fmt.Errorf("masking %s: %w", p, err)
	}
	return nil
}

// readonly makes a path read-only by binding it onto itself and remounting.
func readonly(root, p string) error {
	dst, err := target(root, p)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := unix.Mount(dst, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making %s read-only: %w", p, err)
	}
	return remountRO(dst)
}

// remountRO remounts a bind mount read-only. In a user namespace the kernel
// refuses the remount unless it repeats the flags that are locked on the source
// (nosuid, nodev, noexec, atime), so they are read back and repeated.
func remountRO(dst string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dst, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dst, err)
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	for _, f := range [][2]uintptr{
		{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f[0] != 0 {
			flags |= f[1]
		}
	}
	if err := unix.Mount("", dst, "", flags, ""); err != nil {
		return fmt.Errorf("remounting %s read-only: %w", strings.TrimPrefix(dst, "/"), err)
	}
	return nil
}

// remountTreeRO makes dst and every mount below it read-only: a recursive
// bind brings the source's submounts along, writable, and in a user namespace
// they cannot be unmounted one by one.
func remountTreeRO(dst string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dst))
	if err != nil {
		return fmt.Errorf("listing the mounts under %s: %w", dst, err)
	}
	for _, m := range mounts {
		if err := remountRO(m.Mountpoint); err != nil {
			return err
		}
	}
	return nil
}

// pivot makes root the process's root with pivot_root (never chroot: a chroot
// leaves the host's tree reachable) and detaches the old root. It uses the
// pivot_root(".", ".") idiom so the rootfs needs no directory for the old root.
func pivot(root string) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the old root: %w", err)
	}
	defer unix.Close(oldroot)
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("entering the rootfs %s: %w", root, err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into %s: %w", root, err)
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
