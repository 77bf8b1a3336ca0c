package userns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urun-dev/urun/internal/stagebin"
	"golang.org/x/sys/unix"
)

// sealedSeals make the copy immutable for good: no writes, no size change, and
// no way to take the seals off (F_SEAL_SEAL).
const sealedSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

// sealedExe returns a sealed in-memory copy of urun's own binary, for the
// init stage to be executed from (or the binary itself when it is on a
// read-only file system, or one the container's ids cannot write). Executing /proc/self/exe instead would make
// the host file the container's PID 1 until its exec, and a rootfs script
// starting with #!/proc/self/exe would re-enter that file as the container's
// own process: from there /proc/1/exe is a handle on the host binary, which
// root in the container (often the user who owns the binary) could rewrite
// once urun exits (CVE-2019-5736). The copy is a memfd that nothing can
// write, shrink or grow, and whose seals cannot be removed; the kernel names
// it /memfd:urun in /proc/PID/exe. crun's cloned_binary.c does the same.
//
// The file is close-on-exec in urun; the caller passes it to the stage
// (exec.Cmd.ExtraFiles) and closes its own copy after the start.
func sealedExe() (*os.File, error) {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("opening urun's own binary: %w", err)
	}
	if needsNoCopy(exe) {
		return exe, nil
	}
	defer exe.Close()
	st, err := exe.Stat()
	if err != nil {
		return nil, fmt.Errorf("making a sealed copy of urun's binary: %w", err)
	}
	return sealedCopy("urun", exe, 0, st.Size())
}

// needsNoCopy reports whether no container can write urun's own binary exe,
// which may then be executed as it is.
func needsNoCopy(exe *os.File) bool {
	// A binary on a read-only mount needs no copy (crun's shortcut): no
	// one can write it through that mount, and the container cannot
	// remount it (the mount is not in its namespaces, and copies of it
	// are locked read-only in namespaces it owns). It saves the copy
	// (about 4 ms of 8 MB) for packaged installs on a read-only /usr.
	var fs unix.Statfs_t
	if unix.Fstatfs(int(exe.Fd()), &fs) == nil && fs.Flags&unix.ST_RDONLY != 0 {
		return true
	}
	return unwritableByContainer(exe) || isSealed(exe)
}

// sealedStage returns what the init stage and exec's stage are executed
// from. When no container can write urun's own binary (needsNoCopy: root's,
// or on a read-only file system), that binary itself: any copy costs more
// than the small stage saves. Measured here over 4x60 interleaved runs of
// /bin/true, the copy of the 2.8 MB stage (700 fresh shmem pages, allocated,
// charged and freed on every start) cost more CPU (38.6 ms of CPU a run
// against 35.2, 29.9 ms of wall time against 28.1) than starting the larger
// urun as the stage, whose pages are the page cache's, shared with the
// parent. Otherwise a sealed memfd of the small stage binary embedded in
// urun (package stagebin), which is 2.8 MB to copy instead of urun's 20, or,
// in a build without one, of urun itself.
func sealedStage() (*os.File, error) {
	if !stagebin.Init.Present() {
		return sealedExe()
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("opening urun's own binary: %w", err)
	}
	if needsNoCopy(exe) {
		if f := installedStage(); f != nil {
			exe.Close()
			return f, nil
		}
		return exe, nil
	}
	f, err := sealedEmbedded(exe, stagebin.Init)
	exe.Close()
	if errors.Is(err, unix.EACCES) {
		// No executable memfds here (vm.memfd_noexec=2): urun itself, on
		// a read-only file system, still serves.
		return sealedExe()
	}
	return f, err
}

// installedStage opens the stage binary installed with urun's own, when it
// is the one embedded in this urun (stagebin's Matches), no container can
// write it either (needsNoCopy) and it can be executed; nil otherwise, and
// urun runs itself as the stage. The small binary starts with fewer page
// faults and package initialisers than all of urun, and holds 3.3 MiB at its
// peak instead of 5.7: measured here over 60 interleaved runs, 1 ms off the
// median start-up.
//
// It is looked for where `make install` puts it, PREFIX/libexec/urun beside
// PREFIX/bin/urun (a helper that is not a command stays off PATH, as
// podman's conmon does in /usr/libexec/podman), then in urun's own directory
// (the build tree's bin/, or a package's directory of its own with urun
// linked into PATH: /proc/self/exe names the real file).
func installedStage() *os.File {
	self, err := os.Readlink("/proc/self/exe")
	if err != nil || !filepath.IsAbs(self) {
		return nil
	}
	dir := filepath.Dir(self)
	for _, path := range []string{
		filepath.Join(filepath.Dir(dir), "libexec", "urun", stagebin.Init.Name),
		filepath.Join(dir, stagebin.Init.Name),
	} {
		if f := usableStage(path); f != nil {
			return f
		}
	}
	return nil
}

// usableStage opens path when it holds a stage urun may run as it is.
func usableStage(path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	var fs unix.Statfs_t
	if needsNoCopy(f) && unix.Fstatfs(int(f.Fd()), &fs) == nil && fs.Flags&unix.ST_NOEXEC == 0 &&
		unix.Access("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.X_OK) == nil && stagebin.Init.Matches(f) {
		return f
	}
	f.Close()
	return nil
}

// SealedEmbedded returns a sealed memfd of the binary b embedded in urun,
// to be executed (close-on-exec: exec it by its /proc/self/fd path).
func SealedEmbedded(b stagebin.Blob) (*os.File, error) {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("opening urun's own binary: %w", err)
	}
	defer exe.Close()
	return sealedEmbedded(exe, b)
}

// sealedEmbedded copies b out of exe, urun's own binary, into a sealed memfd.
func sealedEmbedded(exe *os.File, b stagebin.Blob) (*os.File, error) {
	off, size, err := b.Locate(exe)
	if err != nil {
		return nil, err
	}
	return sealedCopy(b.Name, exe, off, size)
}

// sealedCopy copies size bytes of src from off into a new memfd named name
// and seals it.
func sealedCopy(name string, src *os.File, off, size int64) (*os.File, error) {
	// Kernels with vm.memfd_noexec (6.3+) want MFD_EXEC said out loud for
	// a memfd that will be executed; older kernels refuse the flag.
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if errors.Is(err, unix.EACCES) {
		return nil, fmt.Errorf("making a sealed copy of urun's binary: this kernel forbids executable memfds (vm.memfd_noexec=2); install urun on a read-only file system, which needs no copy: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("making a sealed copy of urun's binary (memfd_create): %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:"+name)
	// Size it first: the copy then never reallocates on the way.
	err = f.Truncate(size)
	if err == nil {
		err = copyFile(f, src, off, size)
	}
	if err == nil {
		err = addSeals(f)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("making a sealed copy of urun's binary: %w", err)
	}
	return f, nil
}

// addSeals seals the copy. F_SEAL_WRITE fails with EBUSY while some page of
// the file has an extra reference the kernel counts as a pin (it waits a
// little itself first): on a loaded machine, a page still in a per-CPU LRU
// batch after the copy does. It passes when tried again.
func addSeals(f *os.File) error {
	var err error
	for i := 0; i < 20; i++ {
		if _, err = unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, sealedSeals); !errors.Is(err, unix.EBUSY) {
			return err
		}
		time.Sleep(time.Duration(i+1) * time.Millisecond)
	}
	return err
}

// isSealed reports whether exe is already a sealed copy: the image helper
// runs from one (stagebin.Image), and its stages need no second.
func isSealed(exe *os.File) bool {
	seals, err := unix.FcntlInt(exe.Fd(), unix.F_GET_SEALS, 0)
	return err == nil && seals&sealedSeals == sealedSeals
}

// unwritableByContainer reports whether no id a container of this caller
// can have may write the binary, which then needs no copy either: a binary
// installed by root (a package, or `make install` as root) and run by an
// ordinary user. The container's ids are the user's own uid and their
// subordinate ids, mapped by newuidmap, which never maps host root to an
// ordinary user (and a user can only join user namespaces they own, whose
// maps are made of the same ids). So a file owned by root, writable by
// nobody but its owner, with no ACL, cannot be written from the container,
// not even by its root: CAP_DAC_OVERRIDE in a user namespace does not apply
// to inodes whose owner is not mapped in it. Root's own containers (no user
// namespace, or maps of root's choosing) always get the copy, and so does a
// binary the user owns (~/bin/urun), which root in the container is.
// It saves the copy, about 5 ms of kernel time for a 12 MB binary.
func unwritableByContainer(exe *os.File) bool {
	if os.Geteuid() == 0 {
		return false
	}
	var st unix.Stat_t
	if unix.Fstat(int(exe.Fd()), &st) != nil {
		return false
	}
	if st.Uid != 0 || st.Mode&0o022 != 0 {
		return false
	}
	// An ACL may grant writes the mode bits do not show.
	_, err := unix.Fgetxattr(int(exe.Fd()), "system.posix_acl_access", nil)
	return errors.Is(err, unix.ENODATA) || errors.Is(err, unix.ENOTSUP)
}

// copyFile copies size bytes of src from off to dst in the kernel. copy_file_range
// refuses to cross file systems (EXDEV: the binary's to the memfd's), and Go's
// io.Copy then copies through user space, so sendfile comes first here.
func copyFile(dst, src *os.File, off, size int64) error {
	var done int64
	for done < size {
		pos := off + done
		n, err := unix.Sendfile(int(dst.Fd()), int(src.Fd()), &pos, int(size-done))
		if err != nil || n == 0 {
			break
		}
		done += int64(n)
	}
	if done < size {
		// No sendfile to this file here: copy what is left the plain way.
		if _, err := dst.Seek(done, io.SeekStart); err != nil {
			return err
		}
		n, err := io.Copy(dst, io.NewSectionReader(src, off+done, size-done))
		if err != nil {
			return err
		}
		done += n
	}
	if done != size {
		return fmt.Errorf("copied %d of %d bytes", done, size)
	}
	return nil
}
