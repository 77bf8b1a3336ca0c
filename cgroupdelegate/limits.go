package cgroupdelegate

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/docker/go-units"
)

// Limits are the resource limits of one container, in the units docker and
// podman users already know. The zero value asks for no limit at all.
type Limits struct {
	// MemoryMax is the memory limit in bytes (memory.max); 0 means none.
	MemoryMax int64
	// MemorySwap follows docker's --memory-swap: the total of memory and swap
	// in bytes, so swap alone is MemorySwap-MemoryMax. 0 means unset (swap as
	// large as MemoryMax, as docker documents), -1 unlimited swap.
	MemorySwap int64
	// CPUs is the CPU bandwidth in CPUs (0.5 = half of one CPU over each
	// period, cpu.max); 0 means none.
	CPUs float64
	// PidsMax is the maximum number of tasks (processes and threads,
	// pids.max); 0 means DefaultPidsMax when a scope is made anyway, -1
	// none at all (podman's --pids-limit -1).
	PidsMax int64
}

// DefaultPidsMax is podman's default --pids-limit. It is a soft default: it
// applies when the container gets a scope anyway, and never makes a scope
// necessary on a host that cannot give one.
const DefaultPidsMax = 2048

// MinMemory is the smallest memory limit accepted. Below it the init stage and
// a shell cannot even start, and the user would see a confusing OOM kill
// instead of an error; docker uses the same floor.
const MinMemory = 6 << 20

// MinCPUs is the smallest CPU limit: the kernel's cpu.max needs a quota of at
// least 1ms per 100ms period.
const MinCPUs = 0.01

// Any reports whether at least one limit is requested.
func (l Limits) Any() bool {
	return l.MemoryMax != 0 || l.MemorySwap != 0 || l.CPUs != 0 || l.PidsMax > 0
}

// Validate checks the limits against each other and against this machine.
// The messages name urun's flags, since that is where the values come from.
func (l Limits) Validate() error {
	switch {
	case l.MemoryMax < 0:
		return fmt.Errorf("invalid --memory %d: use a positive size like 100M", l.MemoryMax)
	case l.MemoryMax > 0 && l.MemoryMax < MinMemory:
		return fmt.Errorf("--memory %s is too small: the minimum is 6M", FormatSize(l.MemoryMax))
	case l.MemorySwap < -1:
		return fmt.Errorf("invalid --memory-swap %d: use a size like 200M, or -1 for unlimited swap", l.MemorySwap)
	case l.MemorySwap > 0 && l.MemoryMax == 0:
		return errors.New("--memory-swap needs --memory: it is the total of memory and swap")
	case l.MemorySwap > 0 && l.MemorySwap < l.MemoryMax:
		return fmt.Errorf("--memory-swap %s is smaller than --memory %s: it is the total of memory and swap, so it must be at least as large",
			FormatSize(l.MemorySwap), FormatSize(l.MemoryMax))
	case l.CPUs < 0 || math.IsNaN(l.CPUs) || math.IsInf(l.CPUs, 0):
		return fmt.Errorf("invalid --cpus %v: use a positive number like 0.5 or 2", l.CPUs)
	case l.CPUs > 0 && l.CPUs < MinCPUs:
		return fmt.Errorf("--cpus %v is too small: the minimum is %v", l.CPUs, MinCPUs)
	case l.CPUs > float64(runtime.NumCPU()):
		return fmt.Errorf("--cpus %v is more than the %d CPUs this machine has", l.CPUs, runtime.NumCPU())
	case l.PidsMax < -1:
		return fmt.Errorf("invalid --pids-limit %d: use a positive number of tasks, or -1 for no limit", l.PidsMax)
	}
	return nil
}

// swapMax is the value for systemd's MemorySwapMax (swap alone), and whether
// to set it at all.
func (l Limits) swapMax() (uint64, bool) {
	switch {
	case l.MemorySwap == -1:
		return math.MaxUint64, true // systemd's "infinity"
	case l.MemorySwap > 0:
		return uint64(l.MemorySwap - l.MemoryMax), true
	case l.MemoryMax > 0:
		// docker: with --memory alone the container may use as much swap as memory.
		return uint64(l.MemoryMax), true
	}
	return 0, false
}

// cpuQuotaPerSec is systemd's CPUQuotaPerSecUSec for CPUs: microseconds of
// CPU time per second of wall time.
func (l Limits) cpuQuotaPerSec() uint64 {
	return uint64(math.Round(l.CPUs * 1e6))
}

// ParseSize parses a memory size in docker's syntax: a number with an optional
// binary unit suffix (b, k, m, g, t, p, upper or lower case, optionally
// followed by "b" or "ib"): "100M", "1g", "512k", "1.5G", "4096". "0" means no
// limit.
func ParseSize(s string) (int64, error) {
	n, err := units.RAMInBytes(s)
	if err != nil || n < 0 || strings.TrimSpace(s) != s || s == "" {
		return 0, fmt.Errorf("invalid size %q: use a number with an optional unit, like 100M or 1g", s)
	}
	return n, nil
}

// ParseSwap parses --memory-swap: a size as ParseSize, or "-1" for unlimited
// swap.
func ParseSwap(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("invalid swap size %q: use a size like 200M (memory plus swap), or -1 for unlimited swap", s)
	}
	return n, nil
}

// plainDecimal reports whether s is digits with at most one '.' and at
// least one digit: ^([0-9]+(\.[0-9]*)?|\.[0-9]+)$ without a regular
// expression, which compiled in a package variable cost every start of urun
// and of its init stage (which links this package) about 0.1 ms.
func plainDecimal(s string) bool {
	digits, dot := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits = true
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits
}

// ParseCPUs parses a number of CPUs as a plain decimal ("0.5", "2", "1.25").
// "0" means no limit. Exponents, hex floats, signs and names like "Inf" are
// refused: they are never what a user meant.
func ParseCPUs(s string) (float64, error) {
	bad := fmt.Errorf("invalid number of CPUs %q: use a decimal number like 0.5 or 2", s)
	if len(s) > 32 || !plainDecimal(s) {
		return 0, bad
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, bad
	}
	if f > 0 && f < MinCPUs {
		return 0, fmt.Errorf("%s CPUs is too small: the minimum is %v", s, MinCPUs)
	}
	return f, nil
}

// FormatSize prints a byte count the way a user would have typed it: "100M",
// "1G", "512K", or plain bytes when no binary unit divides it.
func FormatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"P", 1 << 50}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
