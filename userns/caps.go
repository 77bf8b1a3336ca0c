package userns

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/spec"
	"golang.org/x/sys/unix"
)

// capNames maps capability names to numbers (capability(7)).
var capNames = func() map[string]int {
	m := make(map[string]int, len(spec.CapNames))
	for i, n := range spec.CapNames {
		m[n] = i
	}
	return m
}()

func lastCap() int {
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return n
		}
	}
	return unix.CAP_LAST_CAP
}

// capMask turns names into the two 32-bit words of capset(2).
func capMask(names []string) ([2]uint32, error) {
	var m [2]uint32
	for _, n := range names {
		c, ok := capNames[n]
		if !ok {
			return m, fmt.Errorf("unknown capability %q", n)
		}
		m[c/32] |= 1 << (c % 32)
	}
	return m, nil
}

// dropBounding limits the bounding set to keep, and clears the ambient set
// (raised to get the stage through its own exec). The bounding set is what
// limits a command exec'd as uid 0, and what a setuid program can gain. It
// needs CAP_SETPCAP, so it comes before the user changes.
func dropBounding(keep []string) error {
	want, err := capMask(keep)
	if err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	// lastCap reads a /proc file: once, not once per capability (41
	// reads were most of the stage's last millisecond).
	last := lastCap()
	for c := 0; c <= last; c++ {
		if want[c/32]&(1<<(c%32)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// setCaps sets the effective, permitted and inheritable sets and raises the
// ambient ones, after the user change: a non-root command keeps only its
// ambient capabilities through the exec, root gets its bounding set.
func setCaps(c *specs.LinuxCapabilities) error {
	eff, err := capMask(c.Effective)
	if err != nil {
		return err
	}
	perm, err := capMask(c.Permitted)
	if err != nil {
		return err
	}
	inh, err := capMask(c.Inheritable)
	if err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	for i := range data {
		// Permitted can only shrink; effective and inheritable must lie in
		// it.
		data[i].Permitted &= perm[i]
		data[i].Effective = eff[i] & data[i].Permitted
		data[i].Inheritable = inh[i] & data[i].Permitted
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("setting capabilities: %w", err)
	}
	for _, n := range c.Ambient {
		// The kernel raises an ambient capability only if it is both
		// permitted and inheritable. runc's own `spec --rootless` asks
		// for ambient capabilities without inheritable ones; runc and
		// crun then skip them rather than fail, and so does urun (the
		// command cannot have gained them anyway).
		if b := capNames[n]; data[b/32].Inheritable&(1<<(b%32)) == 0 || data[b/32].Permitted&(1<<(b%32)) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(capNames[n]), 0, 0); err != nil {
			return fmt.Errorf("raising the ambient capability %s: %w", n, err)
		}
	}
	return nil
}
