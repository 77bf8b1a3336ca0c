package mount

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urun-dev/urun/internal/hostbin"
	"golang.org/x/sys/unix"
)

// Overlay is a copy-on-write root: the rootfs (and, later, image layers)
// as read-only lower layers under an upper layer that takes every write.
type Overlay struct {
	// Lower are the lower layers, uppermost first (overlayfs's lowerdir
	// order); the rootfs is the last.
	Lower []string `json:"lower"`
	// Upper and Work are the kept layer (--overlay=DIR); both empty means a
	// throwaway upper layer.
	Upper string `json:"upper,omitempty"`
	Work  string `json:"work,omitempty"`
}

// mountOverlay mounts the overlay on root, native overlayfs inside the user
// namespace (userxattr: Linux >= 5.11; a tmpfs upper needs user xattrs on
// tmpfs, Linux >= 6.6).
//
// The throwaway upper layer lives on a tmpfs mounted over root inside the
// container's own mount namespace: it exists nowhere on the host, so no exit
// of urun (SIGKILL included) can leave it behind, and it goes away with the
// last process of the container. The price is memory: what the container
// writes to its root is held in RAM (tmpfs's default bound, half of it).
func mountOverlay(root string, o *Overlay) error {
	if len(o.Lower) == 0 {
		return fmt.Errorf("overlay without a lower layer")
	}
	// The rootfs is reached through a handle opened before anything is
	// mounted over it.
	lowerFd, err := os.OpenFile(o.Lower[len(o.Lower)-1], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the overlay's lower layer: %w", err)
	}
	defer lowerFd.Close()
	lower := append([]string(nil), o.Lower[:len(o.Lower)-1]...)
	lower = append(lower, fmt.Sprintf("/proc/self/fd/%d", lowerFd.Fd()))
	upper, work := o.Upper, o.Work
	if upper == "" {
		if upper, work, err = throwawayUpper(root); err != nil {
			return err
		}
	}
	mnt, err := newOverlay(lower, upper, work)
	if err != nil {
		return overlayError(err)
	}
	defer mnt.Close()
	target, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the rootfs %s: %w", root, err)
	}
	defer target.Close()
	// The throwaway tmpfs sits on root: a handle opened now is its root.
	if err := attach(mnt, target); err != nil {
		return fmt.Errorf("mounting the overlay on %s: %w", root, err)
	}
	return nil
}

// throwawayUpper mounts a tmpfs over root (in this mount namespace only)
// and makes the upper and work directories in it.
func throwawayUpper(root string) (upper, work string, err error) {
	mnt, err := newFS("tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755")
	if err != nil {
		return "", "", fmt.Errorf("a tmpfs for the overlay's upper layer: %w", err)
	}
	defer mnt.Close()
	for _, d := range []string{"upper", "work"} {
		if err := unix.Mkdirat(int(mnt.Fd()), d, 0o755); err != nil {
			return "", "", fmt.Errorf("overlay %s directory: %w", d, err)
		}
	}
	target, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", "", fmt.Errorf("opening the rootfs %s: %w", root, err)
	}
	defer target.Close()
	if err := attach(mnt, target); err != nil {
		return "", "", fmt.Errorf("mounting the overlay's upper tmpfs: %w", err)
	}
	return filepath.Join(root, "upper"), filepath.Join(root, "work"), nil
}

// escapeLower escapes the separators of overlayfs's lowerdir list.
func escapeLower(p string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`, `,`, `\,`).Replace(p)
}

func newOverlay(lower []string, upper, work string) (*os.File, error) {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fsfd)
	esc := make([]string, len(lower))
	for i, l := range lower {
		esc[i] = escapeLower(l)
	}
	for _, kv := range [][2]string{
		{"source", "overlay"}, {"lowerdir", strings.Join(esc, ":")}, {"upperdir", upper}, {"workdir", work},
	} {
		if err := unix.FsconfigSetString(fsfd, kv[0], kv[1]); err != nil {
			return nil, fmt.Errorf("overlay %s=%s: %w", kv[0], kv[1], err)
		}
	}
	// Whiteouts and opaque directories as user.overlay.* xattrs: the only
	// kind an unprivileged overlay may write.
	if err := unix.FsconfigSetFlag(fsfd, "userxattr"); err != nil {
		return nil, fmt.Errorf("overlay userxattr: %w", err)
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, fmt.Errorf("creating the overlay: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("fsmount overlay: %w", err)
	}
	return os.NewFile(uintptr(mfd), "overlay"), nil
}

// overlayError says what to do when the kernel refuses a native overlay.
// fuse-overlayfs would be the fallback; urun finds it but does not drive it
// yet, so the message names both.
func overlayError(err error) error {
	fuse := "fuse-overlayfs is not installed either"
	if p, lerr := hostbin.Find("fuse-overlayfs"); lerr == nil {
		fuse = "urun cannot use fuse-overlayfs (" + p + ") yet"
	}
	if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("--overlay: the kernel refused a native overlayfs in a user namespace (%v; it needs Linux >= 5.11, and >= 6.6 for a throwaway layer on tmpfs) and %s; run without --overlay", err, fuse)
	}
	return fmt.Errorf("--overlay: %v", err)
}
