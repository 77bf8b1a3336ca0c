package state

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// NewID returns a fresh container id: 12 hex digits, like docker's short ids.
func NewID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rootBase is root's state directory, as runc's /run/runc: /run is root's
// own tmpfs, so no other user can have made it first.
var rootBase = "/run/urun"

// Base returns urun's state directory for the calling user, creating it: for
// root /run/urun; for others $XDG_RUNTIME_DIR/urun when the runtime dir is
// theirs and private, otherwise /tmp/urun-UID. Each is checked to be a real
// directory owned by the user with mode 0700, because another user who could
// plant it could read or swap the run's files.
//
// A /tmp/urun-UID that another user made first (or a symlink there) is
// refused, naming who made it and the fix, rather than worked around with a
// private directory of another name: the store must be where later commands
// (ps, stop, an engine's state) look for it, not somewhere only this run knows.
func Base() (string, error) {
	uid := os.Getuid()
	if uid == 0 {
		return ensure(rootBase, uid)
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" && privateDir(rt, uid) == nil {
		return ensure(filepath.Join(rt, "urun"), uid)
	}
	return ensure(filepath.Join(os.TempDir(), "urun-"+strconv.Itoa(uid)), uid)
}

func ensure(dir string, uid int) (string, error) {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("creating the state directory %s: %w", dir, err)
	}
	if err := privateDir(dir, uid); err != nil {
		return "", err
	}
	return dir, nil
}

func privateDir(dir string, uid int) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("checking the state directory %s: %w", dir, err)
	}
	fix := "set XDG_RUNTIME_DIR to a private directory of yours"
	if uid == 0 {
		fix = "remove it"
	}
	if int(st.Uid) != uid {
		what := "belongs to"
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			what = "is a symlink made by"
		}
		return fmt.Errorf("state directory %s %s %s, not you; %s, or ask its owner or an admin to remove it",
			dir, what, owner(st.Uid), fix)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("state directory %s is not a directory; remove it, or %s", dir, fix)
	}
	if st.Mode&0o077 != 0 {
		return fmt.Errorf("state directory %s has mode %o, want 0700; run chmod 700 %s", dir, st.Mode&0o777, dir)
	}
	return nil
}

// owner names a uid as "uid 1002 (mallory)".
func owner(uid uint32) string {
	s := "uid " + strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		s += " (" + u.Username + ")"
	}
	return s
}

// Dir is the state directory of one run. It holds an flock on its lock file
// for as long as the run lives, so a later run can tell a dead run's
// directory from a live one.
type Dir struct {
	Path string
	lock *os.File
}

// Create makes the run's directory under base and collects directories of
// runs that died without removing theirs (SIGKILL during start-up).
func Create(base, id string) (*Dir, error) {
	collect(base)
	p := filepath.Join(base, id)
	if err := os.Mkdir(p, 0o700); err != nil {
		return nil, fmt.Errorf("creating the run directory %s: %w", p, err)
	}
	f, err := os.OpenFile(filepath.Join(p, "lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err == nil {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		os.RemoveAll(p)
		return nil, fmt.Errorf("locking the run directory %s: %w", p, err)
	}
	return &Dir{Path: p, lock: f}, nil
}

// Remove deletes the directory; safe to call more than once.
func (d *Dir) Remove() error {
	if d == nil || d.lock == nil {
		return nil
	}
	// Keep the lock (and so the directory's claim) until the directory is
	// really gone, so a failed removal is tried again by the next Remove.
	if err := os.RemoveAll(d.Path); err != nil {
		return fmt.Errorf("removing the run directory: %w", err)
	}
	d.lock.Close()
	d.lock = nil
	return nil
}

// collect removes run directories whose lock nobody holds any more.
func collect(base string) {
	ents, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		p := filepath.Join(base, e.Name())
		f, err := os.OpenFile(filepath.Join(p, "lock"), os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				// A run between mkdir and lock, or a torn directory: only
				// take it when it is old enough not to be the former.
				if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > time.Minute {
					os.RemoveAll(p)
				}
			}
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			os.RemoveAll(p)
		}
		f.Close()
	}
}
