package container

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// catches reports whether process pid has a handler for sig or ignores it on
// purpose (then forwarding is harmless and respects its choice). It reads
// SigCgt and SigIgn from /proc/PID/status; on any doubt it says yes, so the
// signal is forwarded rather than turned into a kill.
func catches(pid int, sig syscall.Signal) bool {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return true
	}
	defer f.Close()
	var mask uint64
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "SigCgt" && k != "SigIgn") {
			continue
		}
		m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return true
		}
		mask |= m
		found = true
	}
	if !found {
		return true
	}
	return mask&(1<<(uint(sig)-1)) != 0
}
