package mount

import (
	"errors"
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deviceType maps an OCI device type to its file type bits.
var deviceType = map[string]uint32{
	"c": unix.S_IFCHR, "u": unix.S_IFCHR, "b": unix.S_IFBLK, "p": unix.S_IFIFO,
}

// createDevices makes linux.devices in the container, after the mounts (a
// /dev tmpfs first): mknod where the kernel allows it (root without a user
// namespace), else, as crun does rootless, a bind mount of the host's node
// at the same path, which keeps the host's type, numbers, owner and mode.
// A node that is already there (one of the default devices) is kept.
func createDevices(root *os.File, devs []specs.LinuxDevice) error {
	for _, d := range devs {
		if err := createDevice(root, d); err != nil {
			return fmt.Errorf("creating the device %s: %w", d.Path, err)
		}
	}
	return nil
}

func createDevice(root *os.File, d specs.LinuxDevice) error {
	typ, ok := deviceType[d.Type]
	if !ok {
		return fmt.Errorf("unknown device type %q: use c, u, b or p", d.Type)
	}
	p := path.Clean("/" + d.Path)
	if h, err := lookup(root, p); err == nil {
		h.Close()
		return nil
	}
	dir, base := path.Split(p)
	parent, err := ensureTarget(root, dir, true)
	if err != nil {
		return err
	}
	defer parent.Close()
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	err = unix.Mknodat(int(parent.Fd()), base, typ|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor))))
	if errors.Is(err, unix.EPERM) {
		return bindDevice(root, p)
	}
	if err != nil {
		return err
	}
	// The mode as given, whatever the stage's umask; then the owner.
	if err := unix.Fchmodat(int(parent.Fd()), base, perm, 0); err != nil {
		return err
	}
	uid, gid := -1, -1
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	return unix.Fchownat(int(parent.Fd()), base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
}

// bindDevice binds the host's node at p onto an empty file at p in root.
func bindDevice(root *os.File, p string) error {
	if _, err := os.Stat(p); err != nil {
		return fmt.Errorf("mknod is not allowed here (a user namespace) and the host has no %s to bind-mount instead: %w", p, unwrapErr(err))
	}
	target, err := ensureTarget(root, p, false)
	if err != nil {
		return err
	}
	defer target.Close()
	return bindHost(p, target)
}

func unwrapErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
