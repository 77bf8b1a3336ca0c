package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/mount"
	"github.com/urun-dev/urun/spec"
	"golang.org/x/sys/unix"
)

// Validate checks what can be checked on the host before anything starts, so
// that bad input costs nothing to undo: the rootfs, the command (when it is the
// default shell) and the work directory.
func Validate(s *specs.Spec, defaultCmd bool) error {
	root := s.Root.Path
	st, err := os.Stat(root)
	switch {
	case os.IsNotExist(err):
		return fmt.Errorf("rootfs %s does not exist; make one with `make rootfs` or hack/mkrootfs.sh DIR", root)
	case err != nil:
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("rootfs %s cannot be used: %w", root, err)
	case !st.IsDir():
		return fmt.Errorf("rootfs %s is not a directory; give the directory that holds the container's /bin and /etc", root)
	}
	if err := checkOwner(root); err != nil {
		return err
	}
	if len(s.Process.Args) == 0 || s.Process.Args[0] == "" {
		return fmt.Errorf("the command is empty; give the program to run, such as /bin/sh")
	}
	if defaultCmd {
		sh, err := securejoin.SecureJoin(root, "/bin/sh")
		if err == nil {
			_, err = os.Stat(sh)
		}
		if err != nil && !errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("rootfs %s has no /bin/sh to run by default; give a command, or use a rootfs with a shell (make rootfs)", root)
		}
	}
	if err := validateMounts(s); err != nil {
		return err
	}
	// A work directory in a volume exists only once the volume is
	// mounted: the init stage checks it from inside.
	if underMount(s, s.Process.Cwd) {
		return nil
	}
	wd, err := securejoin.SecureJoin(root, s.Process.Cwd)
	if err == nil {
		st, err = os.Stat(wd)
	}
	// A missing work directory is created by the init stage (docker's
	// behaviour); a directory of a subordinate id may be closed to the host
	// user but open to container root: the init stage checks it again from
	// inside.
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return nil
	}
	if err != nil || !st.IsDir() {
		return fmt.Errorf("workdir %s is not a directory in the rootfs %s; remove what is there or choose another with -w", s.Process.Cwd, root)
	}
	return nil
}

// validateMounts checks the host side of the user's bind mounts: the source
// exists (podman does not create it), the user can read it, and `:U` is
// given only on what the user owns (the container user becomes its owner).
func validateMounts(s *specs.Spec) error {
	for _, m := range s.Mounts {
		if m.Type != "bind" {
			continue
		}
		st, err := os.Stat(m.Source)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("volume source %s does not exist; create it first (urun does not create volume sources)", m.Source)
		case err != nil:
			return fmt.Errorf("volume source %s cannot be used: %w", m.Source, unwrapPath(err))
		}
		mode := uint32(unix.R_OK)
		if st.IsDir() {
			mode |= unix.X_OK
		}
		if err := unix.Access(m.Source, mode); err != nil {
			return fmt.Errorf("volume source %s cannot be read by you (%v); fix its permissions or choose another", m.Source, err)
		}
		if slices.Contains(m.Options, spec.ChownOption) {
			if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
				return fmt.Errorf("volume source %s belongs to uid %d, not to you: :U (chown to the container user) works only on your own files", m.Source, uid)
			}
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// prepareOverlay returns the copy-on-write root the spec asks for (nil:
// none). For --overlay=DIR it checks DIR and makes DIR/upper and DIR/work:
// DIR must be outside the rootfs (an upper layer inside its own lower one is
// a loop) and on a file system that can hold an unprivileged overlay's
// upper layer (user extended attributes, not itself an overlay).
func prepareOverlay(s *specs.Spec) (*mount.Overlay, error) {
	dir, ok := s.Annotations[spec.OverlayAnnotation]
	if !ok {
		return nil, nil
	}
	root := s.Root.Path
	o := &mount.Overlay{Lower: []string{root}}
	if l, ok := s.Annotations[spec.LayersAnnotation]; ok {
		var layers []string
		if err := json.Unmarshal([]byte(l), &layers); err != nil {
			return nil, fmt.Errorf("the spec's image layers: %w", err)
		}
		o.Lower = append(layers, root)
	}
	if dir == "" {
		return o, nil
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("rootfs %s: %w", root, err)
	}
	inside := func(d string) bool {
		rel, err := filepath.Rel(realRoot, d)
		return err == nil && (rel == "." || !strings.HasPrefix(rel, ".."))
	}
	refuseInside := fmt.Errorf("--overlay=%s is inside the rootfs %s; keep the layer outside it", dir, root)
	if inside(dir) {
		return nil, refuseInside
	}
	for _, d := range []string{"upper", "work"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("--overlay=%s: cannot create %s in it: %w", dir, d, unwrapPath(err))
		}
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("--overlay=%s: %w", dir, unwrapPath(err))
	}
	if inside(realDir) || inside(filepath.Join(realDir, "upper")) {
		return nil, refuseInside
	}
	if rel, err := filepath.Rel(realDir, realRoot); err == nil && !strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("--overlay=%s holds the rootfs %s; keep the layer beside the rootfs, not around it", dir, root)
	}
	upper := filepath.Join(realDir, "upper")
	var st unix.Statfs_t
	if err := unix.Statfs(upper, &st); err != nil {
		return nil, fmt.Errorf("--overlay=%s: %w", dir, err)
	}
	const overlayfsMagic, fuseMagic, nfsMagic = 0x794c7630, 0x65735546, 0x6969
	switch st.Type {
	case overlayfsMagic, fuseMagic, nfsMagic:
		return nil, fmt.Errorf("--overlay=%s is on a file system (type %#x) that cannot be an overlay's upper layer; choose a directory on ext4, xfs, btrfs or tmpfs", dir, st.Type)
	}
	// Probe what the kernel will need: user.* extended attributes.
	const probe = "user.urun.probe"
	if err := unix.Setxattr(upper, probe, []byte("1"), 0); err != nil {
		return nil, fmt.Errorf("--overlay=%s is on a file system without user extended attributes (%v), which an unprivileged overlay needs; choose a directory on ext4, xfs, btrfs or tmpfs", dir, err)
	}
	_ = unix.Removexattr(upper, probe)
	o.Upper, o.Work = upper, filepath.Join(realDir, "work")
	return o, nil
}

// underMount reports whether p is at or below one of the spec's mounts
// other than the kernel file systems.
func underMount(s *specs.Spec, p string) bool {
	for _, m := range s.Mounts {
		if m.Type != "bind" && m.Type != "tmpfs" {
			continue
		}
		if rel, err := filepath.Rel(m.Destination, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

// checkOwner refuses a rootfs that belongs to an id the user's namespace
// cannot map (a tree made by root with debootstrap, or by another user):
// container root could not create a mount point in it, and the first
// mount error ("creating mount point /etc/hosts: permission denied") would
// not say that ownership is the problem. /etc tells: every rootfs has one,
// and the container's own files (hosts, resolv.conf) go there. Root maps
// every id, so for root any owner will do.
func checkOwner(root string) error {
	uid := os.Getuid()
	if uid == 0 {
		return nil
	}
	name := strconv.Itoa(uid)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	ranges, _ := idmap.ReadRanges(idmap.SubUIDFile, name, uid)
	mapped := func(id uint32) bool {
		if int(id) == uid {
			return true
		}
		for _, r := range ranges {
			if id >= r.Start && uint64(id) < uint64(r.Start)+uint64(r.Count) {
				return true
			}
		}
		return false
	}
	for _, p := range []string{filepath.Join(root, "etc")} {
		st, err := os.Lstat(p)
		if err != nil {
			continue
		}
		owner := st.Sys().(*syscall.Stat_t).Uid
		if mapped(owner) {
			continue
		}
		what := fmt.Sprintf("uid %d", owner)
		if u, err := user.LookupId(strconv.Itoa(int(owner))); err == nil {
			what = fmt.Sprintf("%s (uid %d)", u.Username, owner)
		}
		where := root + "/etc"
		return fmt.Errorf("rootfs %s cannot be used: %s belongs to %s, not to you or one of your subordinate ids, so container root cannot set it up; re-create it as yours with `sudo tar -C %s -cf - . | urun import - NEWDIR` (its owners become your ids), or give it to yourself with `sudo chown -R %s: %s` (every file then belongs to container root, as after `urun unshare chown -R 0:0 %s`)",
			root, where, what, root, name, root, root)
	}
	return nil
}
