package cgroup

import (
	"strings"
	"testing"

	"github.com/urun-dev/urun/cgroupdelegate"
	"github.com/urun-dev/urun/internal/testutil"
)

// TestLimitsNeedCgroup2 runs on hosts without cgroup v2 (the development
// host: a v1/v2 hybrid): asking for a limit is refused with one line saying
// what is missing, status 125, and nothing left behind; without limits the
// container runs.
func TestLimitsNeedCgroup2(t *testing.T) {
	if v2, _ := cgroupdelegate.IsCgroup2(cgroupdelegate.Mountpoint); v2 {
		t.Skip("SKIP: this host has cgroup v2; the refusal is for v1/hybrid hosts")
	}
	e := testutil.Get(t, testutil.DefaultUser)
	for _, flags := range [][]string{{"-m", "100M"}, {"--cpus", "0.5"}, {"--pids-limit", "20"}} {
		r := e.Run(t, "", append(append([]string{"run"}, flags...), e.Rootfs, "true")...)
		if r.Status != 125 {
			t.Errorf("%v on a host without cgroup v2: status %d, want 125", flags, r.Status)
		}
		if !strings.Contains(r.Stderr, "need cgroup v2") || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line naming cgroup v2", flags, r.Stderr)
		}
		e.CheckClean(t)
	}
	if out := e.MustRun(t, "run", e.Rootfs, "echo", "ok"); out != "ok\n" {
		t.Errorf("without limits: %q", out)
	}
}

// TestBadLimits: bad limit values are refused before anything starts, in one
// line that names the flag, with status 125.
func TestBadLimits(t *testing.T) {
	// On the host the lead's harness drops to the test user; in the VM the
	// test already runs as that user.
	var run func(args ...string) (int, string)
	rootfs := ""
	if v2, _ := cgroupdelegate.IsCgroup2(cgroupdelegate.Mountpoint); v2 {
		v := needVM(t)
		rootfs = v.rootfs
		run = func(args ...string) (int, string) { r := v.run(t, args...); return r.status, r.stderr }
	} else {
		e := testutil.Get(t, testutil.DefaultUser)
		defer e.CheckClean(t)
		rootfs = e.Rootfs
		run = func(args ...string) (int, string) { r := e.Run(t, "", args...); return r.Status, r.Stderr }
	}
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"-m", "lots"}, "--memory"},
		{[]string{"--memory", "1k"}, "too small"},
		{[]string{"--cpus", "half"}, "--cpus"},
		{[]string{"--cpus=-1"}, "--cpus"},
		{[]string{"--cpus", "100000"}, "CPUs this machine has"},
		{[]string{"--memory-swap", "1g"}, "needs --memory"},
		{[]string{"-m", "1g", "--memory-swap", "100m"}, "at least as large"},
		{[]string{"--pids-limit", "many"}, "pids-limit"},
		{[]string{"--pids-limit=-3"}, "--pids-limit"},
	} {
		status, stderr := run(append(append([]string{"run"}, tc.flags...), rootfs, "true")...)
		if status != 125 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: status %d, stderr %q; want 125 and one line with %q", tc.flags, status, stderr, tc.want)
		}
	}
}
