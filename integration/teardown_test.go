package integration

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// A CI script runs one container after another on the same published port:
// the moment urun returns, slirp4netns can run no more code and the port is
// free again, although urun no longer waits for the kernel to finish
// slirp4netns's exit (tap0's removal). Checked at once, without polling: it
// is a guarantee, not a matter of time.
func TestBackToBackRunsOnOnePublishedPort(t *testing.T) {
	e := netUser(t)
	port := freePort(t, "tcp")
	for i := 0; i < 3; i++ {
		r := e.Run(t, "", "run", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), e.Rootfs, "true")
		if r.Status != 0 {
			t.Fatalf("run %d with -p %d: status %d, stderr %q", i, port, r.Status, r.Stderr)
		}
		for _, pid := range slirpsOf(e) {
			if !slirpCannotRun(pid) {
				st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
				t.Fatalf("run %d: urun returned while slirp4netns %d can still run: %s", i, pid, st)
			}
		}
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("run %d: urun returned with host port %d still held: %v", i, port, err)
		}
		l.Close()
	}
	noSlirpLeft(t, e)
	e.CheckClean(t)
}

// slirpCannotRun: the process is gone, a zombie, or has PF_EXITING (0x4)
// set on every thread: it never returns to user space.
func slirpCannotRun(pid int) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	for _, d := range ents {
		b, err := os.ReadFile(dir + "/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 7 {
			return false
		}
		flags, _ := strconv.ParseUint(f[6], 10, 64)
		if f[0] != "Z" && f[0] != "X" && flags&0x4 == 0 {
			return false
		}
	}
	return true
}
