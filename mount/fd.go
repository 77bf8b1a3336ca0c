package mount

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Everything below works on file descriptors: a rootfs is hostile (an image
// from the internet controls every symlink in it), so a path inside it is
// resolved once, inside it (openat2 RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS:
// the kernel keeps the walk in the root), and the resulting handle is what
// gets mounted on. A path
// string joined onto the rootfs and used later would follow whatever symlink
// sits there at the time of use, possibly out to the host.
//
// Mounts are made with the kernel's fd-based mount API (fsopen/fsmount,
// open_tree, mount_setattr, move_mount; Linux >= 5.12): a mount is built and
// made read-only while it is still detached, then attached onto the handle,
// and the fd of the new mount keeps pointing at it afterwards. mount(2) on
// /proc/self/fd/N would leave N pointing at the directory underneath.

// maxLinks bounds the symlinks followed while creating a mount point, as the
// kernel's own limit.
const maxLinks = 40

// lookup returns an O_PATH handle on p inside root, following symlinks
// inside root only (never /proc's magic links). It is openat2 itself, one
// system call: the kernel does the in-root resolution, so pathrs-lite's
// user-space checks (and the private procfs it mounts for them) are not
// needed on Linux >= 5.12, which the mount API already requires.
func lookup(root *os.File, p string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 16 {
		fd, err := unix.Openat2(int(root.Fd()), p, &how)
		if err == nil {
			return os.NewFile(uintptr(fd), p), nil
		}
		// EAGAIN: a rename raced with the resolution; try again.
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return nil, &os.PathError{Op: "openat2", Path: p, Err: err}
		}
	}
	return nil, &os.PathError{Op: "openat2", Path: p, Err: unix.EAGAIN}
}

// ensureTarget returns a handle on the mount point dest inside root,
// creating it only where nothing exists: a directory when dir, else an empty
// file. An existing target of the other kind is refused.
func ensureTarget(root *os.File, dest string, dir bool) (*os.File, error) {
	h, err := lookup(root, dest)
	if err == nil {
		if err := checkKind(h, dest, dir); err != nil {
			h.Close()
			return nil, err
		}
		return h, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, badTarget(dest, err)
	}
	if h, err = makeInRoot(root, dest, dir); err != nil {
		return nil, badTarget(dest, err)
	}
	return h, nil
}

// makeInRoot creates dest inside root (the missing directories on the way,
// and dest itself: a directory when dir, else an empty file) and returns a
// handle on it. A dangling symlink on the way is followed inside root, as
// if root were /: the directory or file is made where it points (Ubuntu's
// /etc/resolv.conf is one in a rootfs). Every step is a lookup from root
// (openat2 RESOLVE_IN_ROOT) and a mkdirat/openat relative to the handle of
// the directory found, so no path ever leaves root.
func makeInRoot(root *os.File, dest string, dir bool) (*os.File, error) {
	links := 0
restart:
	comps := strings.Split(strings.Trim(path.Clean("/"+dest), "/"), "/")
	cur, err := lookup(root, "/")
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(comps); {
		prefix := "/" + strings.Join(comps[:i+1], "/")
		h, err := lookup(root, prefix)
		if err == nil {
			cur.Close()
			cur = h
			i++
			continue
		}
		if !errors.Is(err, os.ErrNotExist) {
			cur.Close()
			return nil, err
		}
		name := comps[i]
		if link, lerr := readlinkat(cur, name); lerr == nil {
			// A dangling link: go where it points, inside root.
			cur.Close()
			if links++; links > maxLinks {
				return nil, unix.ELOOP
			}
			if !path.IsAbs(link) {
				link = path.Join("/"+strings.Join(comps[:i], "/"), link)
			}
			dest = path.Join(link, strings.Join(comps[i+1:], "/"))
			goto restart
		}
		last := i == len(comps)-1
		if last && !dir {
			fd, err := unix.Openat(int(cur.Fd()), name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0o644)
			if err == nil {
				cur.Close()
				return os.NewFile(uintptr(fd), prefix), nil
			}
			if !errors.Is(err, unix.EEXIST) {
				cur.Close()
				return nil, err
			}
			continue // raced with something: look again
		}
		if err := unix.Mkdirat(int(cur.Fd()), name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			cur.Close()
			return nil, err
		}
		// Loop: the lookup of prefix now finds the new directory.
	}
	if err := checkKind(cur, dest, dir); err != nil {
		cur.Close()
		return nil, err
	}
	return cur, nil
}

// badTarget is the one line for a mount point that cannot be resolved or
// made inside the rootfs: a symlink loop, a link through /proc's magic
// links (which could lead out of the rootfs), or a file in the way.
func badTarget(dest string, err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		err = errno
	}
	return fmt.Errorf("mount point %s cannot be made inside the rootfs (%v): a symlink on the way loops, goes through /proc, or a file is in the way; fix the rootfs or choose another container path", dest, err)
}

func readlinkat(dir *os.File, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(dir.Fd()), name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func checkKind(h *os.File, dest string, dir bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return fmt.Errorf("stat %s: %w", dest, err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch {
	case dir && !isDir:
		return fmt.Errorf("cannot mount a directory on %s: it is a file in the rootfs", dest)
	case !dir && isDir:
		return fmt.Errorf("cannot mount a file on %s: it is a directory in the rootfs", dest)
	}
	return nil
}

// noSymlink refuses a top-level directory of the rootfs (/dev, /proc, /sys)
// that is a symlink: the kernel file systems and the device nodes must land
// where the container (and the masks) expect them, as runc insists too.
func noSymlink(root *os.File, dest string) error {
	name := strings.TrimPrefix(path.Clean(dest), "/")
	if name != "dev" && name != "proc" && name != "sys" {
		return nil
	}
	var st unix.Stat_t
	err := unix.Fstatat(int(root.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		link, _ := readlinkat(root, name)
		return fmt.Errorf("the rootfs's /%s is a symlink (to %s); it must be a directory: replace the link with an empty directory", name, link)
	}
	return nil
}

// attrFlags maps mount(2) flags to mount_setattr/fsmount attributes.
func attrFlags(flags uintptr) uint64 {
	var a uint64
	for _, f := range [][2]uint64{
		{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY}, {unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV}, {unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NOATIME, unix.MOUNT_ATTR_NOATIME}, {unix.MS_STRICTATIME, unix.MOUNT_ATTR_STRICTATIME},
		{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME},
	} {
		if uint64(flags)&f[0] != 0 {
			a |= f[1]
		}
	}
	return a
}

// newFS creates a detached mount of a fresh file system. data is the
// comma-separated file system options (key=value or flag).
func newFS(fstype, source string, flags uintptr, data string) (*os.File, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	if source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", source); err != nil {
			return nil, fmt.Errorf("%s source %s: %w", fstype, source, err)
		}
	}
	for _, o := range strings.Split(data, ",") {
		if o == "" {
			continue
		}
		if k, v, ok := strings.Cut(o, "="); ok {
			err = unix.FsconfigSetString(fsfd, k, v)
		} else {
			err = unix.FsconfigSetFlag(fsfd, k)
		}
		if err != nil {
			return nil, fmt.Errorf("%s option %s: %w", fstype, o, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, fmt.Errorf("creating a %s: %w", fstype, err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, int(attrFlags(flags)))
	if err != nil {
		return nil, fmt.Errorf("fsmount %s: %w", fstype, err)
	}
	return os.NewFile(uintptr(mfd), fstype), nil
}

// cloneTree returns a detached copy of the mount at the host path src
// (recursive: with its submounts).
func cloneTree(src string, recursive bool) (*os.File, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, flags)
	if err != nil {
		return nil, fmt.Errorf("open_tree %s: %w", src, err)
	}
	return os.NewFile(uintptr(fd), src), nil
}

// cloneHandle is cloneTree of what a handle points at.
func cloneHandle(h *os.File, recursive bool) (*os.File, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(int(h.Fd()), "", flags)
	if err != nil {
		return nil, fmt.Errorf("open_tree %s: %w", h.Name(), err)
	}
	return os.NewFile(uintptr(fd), h.Name()), nil
}

// setAttr sets mount attributes (and propagation, when not 0) on the mount
// m refers to, and on its submounts when recursive.
func setAttr(m *os.File, set uint64, propagation uint64, recursive bool) error {
	if set == 0 && propagation == 0 {
		return nil
	}
	flags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	attr := unix.MountAttr{Attr_set: set, Propagation: propagation}
	if set&(unix.MOUNT_ATTR_NOATIME|unix.MOUNT_ATTR_STRICTATIME) != 0 {
		// The access-time mode is one field: the kernel takes a new one
		// only with the field cleared (EINVAL otherwise).
		attr.Attr_clr = unix.MOUNT_ATTR__ATIME
	}
	if err := unix.MountSetattr(int(m.Fd()), "", flags, &attr); err != nil {
		return fmt.Errorf("mount_setattr %s: %w", m.Name(), err)
	}
	return nil
}

// attach mounts the detached mount m onto the handle target.
func attach(m, target *os.File) error {
	return unix.MoveMount(int(m.Fd()), "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
}
