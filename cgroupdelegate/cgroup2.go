package cgroupdelegate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Mountpoint is where a cgroup v2 unified hierarchy must be mounted for urun
// to use it.
const Mountpoint = "/sys/fs/cgroup"

// IsCgroup2 reports whether dir is the root of a cgroup v2 mount. A hybrid
// host (tmpfs at /sys/fs/cgroup with v1 controllers and a v2 "unified"
// mount beneath) answers false: systemd cannot delegate v2 controllers there.
func IsCgroup2(dir string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC, nil
}

// OwnCgroup returns the cgroup v2 path of process pid ("self" for the caller)
// from /proc/PID/cgroup, relative to the hierarchy's root.
func OwnCgroup(pid string) (string, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "cgroup"))
	if err != nil {
		return "", fmt.Errorf("reading the cgroup of process %s: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("process %s has no cgroup v2 entry in /proc/%s/cgroup", pid, pid)
}

// Controllers returns the controllers listed in dir's cgroup.controllers:
// those the parent made available to this cgroup (for a user manager's
// cgroup, the delegated ones).
func Controllers(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("reading controllers: %w", err)
	}
	return strings.Fields(string(b)), nil
}

// readKey returns the value of key in a flat-keyed cgroup file such as
// memory.events ("oom_kill 3").
func readKey(file, key string) (int64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: bad value for %s: %w", file, key, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s has no %s entry", file, key)
}

// readLimit reads a single-value limit file (memory.max, pids.max,
// memory.swap.max); "max" is returned as -1.
func readLimit(file string) (int64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: unexpected content %q", file, s)
	}
	return n, nil
}

// readCPUMax reads cpu.max ("QUOTA PERIOD" or "max PERIOD"); quota -1 is max.
func readCPUMax(file string) (quota, period int64, err error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%s: unexpected content %q", file, b)
	}
	if period, err = strconv.ParseInt(f[1], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("%s: unexpected period %q", file, f[1])
	}
	if f[0] == "max" {
		return -1, period, nil
	}
	if quota, err = strconv.ParseInt(f[0], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("%s: unexpected quota %q", file, f[0])
	}
	return quota, period, nil
}

// gone reports whether err means the cgroup directory was removed (systemd
// prunes a scope's cgroup once its last process exits; kernfs answers ENODEV
// on files opened before that).
func gone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV)
}
