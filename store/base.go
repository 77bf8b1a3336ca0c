package store

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// rootBase is root's store, as runc's /run/runc: /run is root's own tmpfs, so
// no other user can have made it first.
var rootBase = "/run/urun"

// Base returns the store's base directory for the calling user, creating it:
// override when it is not "" (an engine's --root), for root /run/urun, for
// others (and root of a user namespace: rootless podman calls `state ID`
// so, with the user's XDG_RUNTIME_DIR, as crun does) $XDG_RUNTIME_DIR/urun
// when the runtime dir is theirs and private,
// otherwise /tmp/urun-UID. Each is checked to be a real directory owned by
// the user with mode 0700, because another user who could plant it could read
// or swap the containers' files.
//
// A /tmp/urun-UID that another user made first (or a symlink there) is
// refused, naming who made it and the fix, rather than worked around with a
// private directory of another name: the store must be where later commands
// (ps, stop, an engine's state) look for it, not somewhere only this run knows.
func Base(override string) (string, error) {
	uid := os.Getuid()
	if override != "" {
		abs, err := filepath.Abs(override)
		if err != nil {
			return "", fmt.Errorf("store directory %q: %w", override, err)
		}
		// An engine names a directory of its own whose parents may not
		// exist yet (containerd's shim: /run/containerd/runc/NAMESPACE),
		// and runc makes them.
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return "", fmt.Errorf("creating the state directory %s: %w", abs, err)
		}
		return ensure(abs, uid)
	}
	if uid == 0 && !inUserNS() {
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

// inUserNS reports whether urun runs in a user namespace other than the
// initial one, whose uid map is the whole range: its root is not the host's
// root, and /run/urun is not its own.
func inUserNS() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	return !isInitialUIDMap(string(b))
}

// isInitialUIDMap reports whether a uid_map is the initial namespace's
// "0 0 4294967295".
func isInitialUIDMap(m string) bool {
	f := strings.Fields(m)
	return len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
}
