package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Mode says what to do with the whiteouts of OCI layers.
type Mode int

const (
	// Flat applies whiteouts: `.wh.NAME` deletes NAME, `.wh..wh..opq`
	// empties its directory of what earlier layers put there. A rootfs
	// tarball has none, so this is also the mode for `urun import`.
	Flat Mode = iota
	// Overlay turns them into overlayfs whiteouts, for a layer that will
	// be a lower directory of a native overlay mounted with userxattr: a
	// 0/0 character device for `.wh.NAME` (which a user namespace's root
	// may make since Linux 5.8) and user.overlay.opaque=y on an opaque
	// directory.
	Overlay
)

func (m Mode) String() string {
	if m == Overlay {
		return "overlay"
	}
	return "flat"
}

// ParseMode is the inverse of String.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "flat":
		return Flat, nil
	case "overlay":
		return Overlay, nil
	}
	return Flat, fmt.Errorf("unknown unpack mode %q (flat or overlay)", s)
}

// Stats counts what an unpack wrote.
type Stats struct {
	Files          int   `json:"files"`
	Dirs           int   `json:"dirs"`
	Symlinks       int   `json:"symlinks"`
	Hardlinks      int   `json:"hardlinks"`
	FIFOs          int   `json:"fifos"`
	DevicesSkipped int   `json:"devicesSkipped"`
	Whiteouts      int   `json:"whiteouts"`
	XattrsSkipped  int   `json:"xattrsSkipped"`
	Bytes          int64 `json:"bytes"` // of regular files
}

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
	// OverlayOpaqueXattr marks an opaque directory for an overlay mounted
	// with userxattr.
	OverlayOpaqueXattr = "user.overlay.opaque"
)

// resolveFlags keep every lookup below the target directory: an absolute
// symlink or a `..` that would leave it fails with EXDEV instead of being
// followed, and /proc's magic links are never followed.
const resolveFlags = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS

// errEscape is the reason for refusing an entry that leads out of the
// directory.
var errEscape = errors.New("it leads out of the target directory (an absolute name, `..`, or a path through a symlink that points outside): refused")

type dirTime struct {
	name  string
	atime unix.Timespec
	mtime unix.Timespec
}

type unpacker struct {
	root *os.File
	mode Mode
	st   Stats
	dirs []dirTime
	seen map[string]bool // entries of this tarball, for opaque dirs in Flat
	buf  []byte
}

// Unpack writes the tar stream r (plain or compressed) below the directory
// dir, as it stands in the tarball: owners are set to the entries' uid and
// gid, so unpacking as an ordinary user works only for the user's own ids;
// run it as root of a user namespace (UnpackRootless) for a whole rootfs.
// The first entry that cannot be written ends the unpack with an error that
// names it; what was written so far stays (the caller removes the tree).
func Unpack(r io.Reader, dir *os.File, mode Mode) (Stats, error) {
	dr, closeFn, err := decompress(r)
	if err != nil {
		return Stats{}, err
	}
	defer closeFn()
	tail := &tailReader{r: dr}
	tr := tar.NewReader(tail)
	u := &unpacker{root: dir, mode: mode, seen: map[string]bool{}, buf: make([]byte, 256<<10)}
	last := ""
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if !tail.endsWithZeroBlock() {
				return u.st, fmt.Errorf("the tarball is truncated%s: it ends without tar's end-of-archive blocks", after(last))
			}
			break
		}
		if err != nil {
			return u.st, fmt.Errorf("the tarball is corrupt or truncated%s: %w", after(last), unwrapTar(err))
		}
		if err := u.entry(hdr, tr); err != nil {
			return u.st, fmt.Errorf("tarball entry %q: %w", hdr.Name, err)
		}
		last = hdr.Name
	}
	if err := u.fixDirTimes(); err != nil {
		return u.st, err
	}
	return u.st, nil
}

func after(last string) string {
	if last == "" {
		return " at its first entry"
	}
	return fmt.Sprintf(" after entry %q", last)
}

func unwrapTar(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of data")
	}
	return err
}

// cleanName makes a tar name relative to the target directory, refusing
// those that leave it.
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", errEscape
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", errEscape
	}
	return c, nil
}

func (u *unpacker) entry(hdr *tar.Header, r io.Reader) error {
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if hdr.Uid < 0 || hdr.Gid < 0 || hdr.Uid > 1<<32-2 || hdr.Gid > 1<<32-2 {
		return fmt.Errorf("owner %d:%d is not a valid id", hdr.Uid, hdr.Gid)
	}
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return nil
	case tar.TypeChar, tar.TypeBlock:
		// urun makes /dev itself; a user namespace could not make them.
		u.st.DevicesSkipped++
		return nil
	}
	if name == "." {
		if hdr.Typeflag != tar.TypeDir {
			return errors.New("the top of the tarball is not a directory")
		}
		return u.attrs(u.root, nil, ".", hdr, true)
	}
	parentName, base := path.Split(name)
	if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(strings.TrimSuffix(parentName, "/"), base)
	}
	u.seen[name] = true
	parent, err := u.mkdirAll(strings.TrimSuffix(parentName, "/"))
	if err != nil {
		return err
	}
	defer parent.Close()
	var st unix.Stat_t
	exists := unix.Fstatat(int(parent.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
	if exists && !(hdr.Typeflag == tar.TypeDir && st.Mode&unix.S_IFMT == unix.S_IFDIR) {
		// A later entry replaces an earlier one (tar's rule), a symlink
		// included: it is removed, never followed.
		if err := removeAt(parent, base); err != nil {
			return fmt.Errorf("replacing what is there: %w", err)
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(int(parent.Fd()), base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("mkdir: %w", err)
		}
		fd, err := unix.Openat(int(parent.Fd()), base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening the new directory: %w", err)
		}
		d := os.NewFile(uintptr(fd), name)
		defer d.Close()
		u.st.Dirs++
		return u.attrs(d, parent, base, hdr, true)
	case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse: // archive/tar reports the old NUL type as TypeReg
		if err := u.checkSparse(hdr); err != nil {
			return err
		}
		fd, err := unix.Openat(int(parent.Fd()), base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return fmt.Errorf("creating the file: %w", err)
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		n, err := copyHoles(f, r, u.buf)
		u.st.Bytes += n
		if err != nil {
			return fmt.Errorf("writing the file: %w", unwrapTar(err))
		}
		u.st.Files++
		return u.attrs(f, parent, base, hdr, false)
	case tar.TypeSymlink:
		if err := unix.Symlinkat(hdr.Linkname, int(parent.Fd()), base); err != nil {
			return fmt.Errorf("symlink: %w", err)
		}
		u.st.Symlinks++
		if err := chownErr(unix.Fchownat(int(parent.Fd()), base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW), hdr); err != nil {
			return err
		}
		return setTimes(parent, base, hdr)
	case tar.TypeLink:
		target, err := cleanName(hdr.Linkname)
		if err != nil || target == "." {
			return fmt.Errorf("hard link to %q: %w", hdr.Linkname, errEscape)
		}
		tdir, tbase := path.Split(target)
		tparent, err := u.lookup(strings.TrimSuffix(tdir, "/"), unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return fmt.Errorf("hard link to %q: %w", hdr.Linkname, err)
		}
		defer tparent.Close()
		// No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink.
		if err := unix.Linkat(int(tparent.Fd()), tbase, int(parent.Fd()), base, 0); err != nil {
			return fmt.Errorf("hard link to %q: %w", hdr.Linkname, err)
		}
		u.st.Hardlinks++
		return nil
	case tar.TypeFifo:
		if err := unix.Mknodat(int(parent.Fd()), base, unix.S_IFIFO|0o600, 0); err != nil {
			return fmt.Errorf("mkfifo: %w", err)
		}
		fd, err := unix.Openat(int(parent.Fd()), base, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening the new FIFO: %w", err)
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		u.st.FIFOs++
		return u.attrs(f, parent, base, hdr, false)
	}
	return fmt.Errorf("entry type %q is not supported", string(hdr.Typeflag))
}

// checkSparse refuses a sparse entry (GNU's old 'S' type, or PAX
// GNU.sparse.* records) larger than the free space of the target: its
// holes are written as holes, but archive/tar hands them over as zeros, and
// a few bytes of tarball could otherwise declare a file of exabytes.
func (u *unpacker) checkSparse(hdr *tar.Header) error {
	sparse := hdr.Typeflag == tar.TypeGNUSparse
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			sparse = true
			break
		}
	}
	if !sparse {
		return nil
	}
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(u.root.Fd()), &fs); err != nil {
		return fmt.Errorf("statfs of the target: %w", err)
	}
	if free := int64(fs.Bavail) * int64(fs.Bsize); hdr.Size > free {
		return fmt.Errorf("a sparse file of %d bytes is larger than the %d bytes free on the target file system: refused", hdr.Size, free)
	}
	return nil
}

// copyHoles copies r to the new file f, leaving runs of zeros (a buffer's
// worth) as holes, as cp --sparse=auto does: sparse files stay sparse.
func copyHoles(f *os.File, r io.Reader, buf []byte) (int64, error) {
	var off int64
	hole := false
	for {
		k, err := r.Read(buf)
		if k > 0 {
			b := buf[:k]
			if b[0] == 0 && bytes.Equal(b[1:], b[:k-1]) {
				hole = true
			} else if _, werr := f.WriteAt(b, off); werr != nil {
				return off, werr
			}
			off += int64(k)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return off, err
		}
	}
	if hole {
		// A file that ends in a hole gets its size here.
		if err := f.Truncate(off); err != nil {
			return off, err
		}
	}
	return off, nil
}

// attrs sets owner, extended attributes, mode and times of a file or
// directory through its descriptor f. The order matters: chown clears the
// setuid bits and file capabilities, so it comes first. A directory's times
// are set after its contents (the contents change them).
func (u *unpacker) attrs(f, parent *os.File, base string, hdr *tar.Header, dir bool) error {
	if err := chownErr(unix.Fchown(int(f.Fd()), hdr.Uid, hdr.Gid), hdr); err != nil {
		return err
	}
	if err := u.xattrs(f, hdr); err != nil {
		return err
	}
	if err := unix.Fchmod(int(f.Fd()), uint32(hdr.Mode)&0o7777); err != nil {
		return fmt.Errorf("chmod %o: %w", hdr.Mode&0o7777, err)
	}
	if dir {
		atime, mtime := times(hdr)
		name := base
		if parent != nil {
			name = strings.TrimSuffix(path.Clean(hdr.Name), "/")
		}
		u.dirs = append(u.dirs, dirTime{name: name, atime: atime, mtime: mtime})
		return nil
	}
	return setTimes(parent, base, hdr)
}

func chownErr(err error, hdr *tar.Header) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
		return fmt.Errorf("owner %d:%d is outside the ids you have (your /etc/subuid and /etc/subgid ranges are missing or too small; ask an admin for usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER): %w", hdr.Uid, hdr.Gid, err)
	}
	return fmt.Errorf("chown %d:%d: %w", hdr.Uid, hdr.Gid, err)
}

// xattrs sets the entry's extended attributes (PAX SCHILY.xattr.*, as GNU
// tar --xattrs and Go write them). Those the kernel does not let a user
// namespace set (trusted.*) or the file system does not take are counted and
// skipped, except security.capability: without it ping and friends break.
// overlay's own attributes are never taken from a tarball: in a layer they
// would redirect or hide files of other layers.
func (u *unpacker) xattrs(f *os.File, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok {
			continue
		}
		if strings.HasPrefix(name, "user.overlay.") || strings.HasPrefix(name, "trusted.") {
			u.st.XattrsSkipped++
			continue
		}
		err := unix.Fsetxattr(int(f.Fd()), name, []byte(v), 0)
		if err == nil {
			continue
		}
		if name == "security.capability" {
			if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
				return fmt.Errorf("setting its file capability: the target's file system keeps no extended attributes (%w); unpack onto ext4, xfs, btrfs or tmpfs", err)
			}
			return fmt.Errorf("setting its file capability: %w", err)
		}
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EACCES) {
			u.st.XattrsSkipped++
			continue
		}
		return fmt.Errorf("setting the extended attribute %s: %w", name, err)
	}
	return nil
}

func ts(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

func times(hdr *tar.Header) (atime, mtime unix.Timespec) {
	mtime = ts(hdr.ModTime)
	atime = mtime
	if !hdr.AccessTime.IsZero() {
		atime = ts(hdr.AccessTime)
	}
	return atime, mtime
}

func setTimes(parent *os.File, base string, hdr *tar.Header) error {
	atime, mtime := times(hdr)
	if err := unix.UtimesNanoAt(int(parent.Fd()), base, []unix.Timespec{atime, mtime}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("setting its times: %w", err)
	}
	return nil
}

// fixDirTimes sets the directories' times once everything is in them,
// deepest last-made first, each looked up again below the root.
func (u *unpacker) fixDirTimes() error {
	for i := len(u.dirs) - 1; i >= 0; i-- {
		d := u.dirs[i]
		parentName, base := path.Split(d.name)
		if d.name == "." {
			parentName, base = "", "."
		}
		parent, err := u.lookup(strings.TrimSuffix(parentName, "/"), unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			continue // replaced or whited out since
		}
		err = unix.UtimesNanoAt(int(parent.Fd()), base, []unix.Timespec{d.atime, d.mtime}, unix.AT_SYMLINK_NOFOLLOW)
		parent.Close()
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("setting the times of %s: %w", d.name, err)
		}
	}
	return nil
}

// whiteout handles `.wh.` entries in parentName.
func (u *unpacker) whiteout(parentName, base string) error {
	if base != opaqueMarker && strings.HasPrefix(base, whiteoutPrefix+whiteoutPrefix) {
		return nil // aufs's own bookkeeping (.wh..wh.plnk ...)
	}
	if n := strings.TrimPrefix(base, whiteoutPrefix); base != opaqueMarker && (n == "" || n == "." || n == "..") {
		// .wh.. or .wh... would delete the directory itself or the one
		// that holds it.
		return fmt.Errorf("a whiteout of %q: %w", n, errEscape)
	}
	u.st.Whiteouts++
	if u.mode == Overlay {
		parent, err := u.mkdirAll(parentName)
		if err != nil {
			return err
		}
		defer parent.Close()
		if base == opaqueMarker {
			d, err := u.lookup(parentName, unix.O_RDONLY|unix.O_DIRECTORY)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := unix.Fsetxattr(int(d.Fd()), OverlayOpaqueXattr, []byte("y"), 0); err != nil {
				return fmt.Errorf("marking the directory opaque (%s): %w", OverlayOpaqueXattr, err)
			}
			return nil
		}
		name := strings.TrimPrefix(base, whiteoutPrefix)
		if err := removeAt(parent, name); err != nil {
			return err
		}
		if err := unix.Mknodat(int(parent.Fd()), name, unix.S_IFCHR, 0); err != nil {
			return fmt.Errorf("making the overlay whiteout for %s (a 0/0 character device; Linux >= 5.8 allows it in a user namespace): %w", name, err)
		}
		u.seen[path.Join(parentName, name)] = true
		return nil
	}
	if base == opaqueMarker {
		d, err := u.lookup(parentName, unix.O_RDONLY|unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		if err != nil {
			return err
		}
		defer d.Close()
		return u.emptyExceptSeen(d, parentName)
	}
	parent, err := u.lookup(parentName, unix.O_PATH|unix.O_DIRECTORY)
	if errors.Is(err, unix.ENOENT) {
		return nil // nothing there to delete
	}
	if err != nil {
		return err
	}
	defer parent.Close()
	return removeAt(parent, strings.TrimPrefix(base, whiteoutPrefix))
}

// emptyExceptSeen removes what d holds that this tarball did not put there:
// an opaque directory hides the lower layers' entries, not its own layer's.
func (u *unpacker) emptyExceptSeen(d *os.File, name string) error {
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("listing %s: %w", name, err)
	}
	for _, n := range names {
		p := path.Join(name, n)
		if !u.seen[p] {
			if err := removeAt(d, n); err != nil {
				return err
			}
			continue
		}
		fd, err := unix.Openat(int(d.Fd()), n, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // a file of this layer
		}
		sub := os.NewFile(uintptr(fd), p)
		err = u.emptyExceptSeen(sub, p)
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// lookup opens name below the root (never leaving it: errEscape).
func (u *unpacker) lookup(name string, flags int) (*os.File, error) {
	if name == "" {
		name = "."
	}
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolveFlags}
	for range 16 {
		fd, err := unix.Openat2(int(u.root.Fd()), name, &how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), name), nil
		case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EXDEV):
			return nil, errEscape
		case errors.Is(err, unix.ELOOP):
			return nil, fmt.Errorf("%s: too many symlinks on the way", name)
		}
		return nil, err
	}
	return nil, unix.EAGAIN
}

// mkdirAll returns a handle on the directory name below the root, making
// the missing ones on the way (owned by the namespace's root, mode 0755, as
// GNU tar does for directories a tarball does not list).
func (u *unpacker) mkdirAll(name string) (*os.File, error) {
	h, err := u.lookup(name, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		if errors.Is(err, unix.ENOTDIR) {
			return nil, fmt.Errorf("a file is in the way of the directory %s", name)
		}
		return h, err
	}
	comps := strings.Split(name, "/")
	cur, err := u.lookup("", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	for i := range comps {
		prefix := strings.Join(comps[:i+1], "/")
		h, err := u.lookup(prefix, unix.O_PATH|unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) {
			if err := unix.Mkdirat(int(cur.Fd()), comps[i], 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
				cur.Close()
				return nil, fmt.Errorf("mkdir %s: %w", prefix, err)
			}
			h, err = u.lookup(prefix, unix.O_PATH|unix.O_DIRECTORY)
		}
		cur.Close()
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ENOENT) {
			// ENOENT after a mkdir: a dangling symlink is in the way.
			return nil, fmt.Errorf("a file or dangling symlink is in the way of the directory %s", prefix)
		}
		if err != nil {
			return nil, err
		}
		cur = h
	}
	return cur, nil
}

// removeAt removes name in dir and, for a directory, everything below it,
// through descriptors only (a symlink is removed, never followed). A name
// that is not there is not an error.
func removeAt(dir *os.File, name string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		// Never a name to remove: "." is dir itself, ".." what holds it.
		return fmt.Errorf("refusing to remove %q", name)
	}
	err := unix.Unlinkat(int(dir.Fd()), name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	fd, oerr := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if oerr != nil {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	sub := os.NewFile(uintptr(fd), name)
	if err := emptyDir(sub); err != nil {
		sub.Close()
		return err
	}
	sub.Close()
	if err := unix.Unlinkat(int(dir.Fd()), name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing the directory %s: %w", name, err)
	}
	return nil
}

// emptyDir removes everything below the directory d.
func emptyDir(d *os.File) error {
	for {
		names, err := d.Readdirnames(1024)
		if len(names) == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("listing %s: %w", d.Name(), err)
			}
			return nil
		}
		for _, n := range names {
			if err := removeAt(d, n); err != nil {
				return err
			}
		}
		// The directory changed under the listing: start it again.
		if _, err := d.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("listing %s: %w", d.Name(), err)
		}
	}
}

// tailReader remembers the last block it read, so that a tarball cut at an
// entry boundary (which archive/tar takes for a clean end) is told apart
// from one that ends with tar's zero blocks.
type tailReader struct {
	r    io.Reader
	last [512]byte
	n    int64
}

func (t *tailReader) Read(p []byte) (int, error) {
	k, err := t.r.Read(p)
	if k >= len(t.last) {
		copy(t.last[:], p[k-len(t.last):k])
	} else if k > 0 {
		copy(t.last[:], t.last[k:])
		copy(t.last[len(t.last)-k:], p[:k])
	}
	t.n += int64(k)
	return k, err
}

func (t *tailReader) endsWithZeroBlock() bool {
	if t.n < int64(len(t.last)) {
		return false
	}
	for _, b := range t.last {
		if b != 0 {
			return false
		}
	}
	return true
}
