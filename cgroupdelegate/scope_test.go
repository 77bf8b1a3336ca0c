package cgroupdelegate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hogged keeps the hog's memory reachable, so the collector cannot free it.
var hogged [][]byte

// The test binary doubles as the processes put into scopes: a sleeper and a
// memory hog.
func TestMain(m *testing.M) {
	switch os.Getenv("URUN_CGTEST_HELPER") {
	case "sleep":
		time.Sleep(time.Hour)
		os.Exit(0)
	case "hog":
		// Hog only once the test has the scope: a hog moved into its scope
		// while already allocating can be killed, and its scope removed by
		// systemd, before Attach has read the scope's cgroup back (the init
		// stage, which the real Attach moves, is blocked until released).
		_, _ = io.Copy(io.Discard, os.Stdin)
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = byte(i)
			}
			hogged = append(hogged, b)
		}
	}
	os.Exit(m.Run())
}

func helper(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	cmd, _ := gatedHelper(t, mode)
	return cmd
}

// gatedHelper starts a helper whose stdin is a pipe: closing go lets a hog
// start hogging.
func gatedHelper(t *testing.T, mode string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "URUN_CGTEST_HELPER="+mode)
	gate, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd, gate
}

// needScope skips unless this machine can give a delegated scope: cgroup v2
// and a systemd manager for the caller (the VM test bed, not the dev host).
func needScope(t *testing.T) {
	t.Helper()
	if v2, _ := IsCgroup2(Mountpoint); !v2 {
		t.Skip("SKIP: no cgroup v2 at /sys/fs/cgroup (run in the VM: make test-vm)")
	}
	m, err := connect()
	if err != nil {
		t.Skipf("SKIP: no systemd manager: %v", err)
	}
	m.conn.Close()
}

func unitName(t *testing.T) string {
	return fmt.Sprintf("urun-test-%d-%s.scope", os.Getpid(), strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestNoCgroup2(t *testing.T) {
	if v2, err := IsCgroup2(Mountpoint); err != nil || v2 {
		t.Skipf("SKIP: %s is cgroup v2 here (err %v); this test is for v1/hybrid hosts", Mountpoint, err)
	}
	s, err := Attach(context.Background(), os.Getpid(), Limits{MemoryMax: 64 << 20}, Options{Unit: "urun-x.scope"})
	if err == nil || s != nil {
		t.Fatalf("Attach with a limit on a v1/hybrid host = %v, %v; want an error", s, err)
	}
	if !strings.Contains(err.Error(), "cgroup v2") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q should be one line naming cgroup v2", err)
	}
	var note strings.Builder
	s, err = Attach(context.Background(), os.Getpid(), Limits{}, Options{Unit: "urun-x.scope", Verbose: true, Log: &note})
	if err != nil || s != nil {
		t.Fatalf("Attach without limits = %v, %v; want nil, nil", s, err)
	}
	if !strings.Contains(note.String(), "without a cgroup scope") {
		t.Errorf("verbose note = %q", note.String())
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		pid  int
		lim  Limits
		unit string
	}{
		{1, Limits{}, "urun-x.service"},
		{1, Limits{}, "../x.scope"},
		{0, Limits{}, "urun-x.scope"},
		{1, Limits{MemoryMax: 1}, "urun-x.scope"},
	} {
		if s, err := Attach(context.Background(), tc.pid, tc.lim, Options{Unit: tc.unit}); err == nil {
			_ = s.Close()
			t.Errorf("Attach(%d, %+v, %q) succeeded", tc.pid, tc.lim, tc.unit)
		}
	}
}

func TestScopeLimits(t *testing.T) {
	needScope(t)
	child := helper(t, "sleep")
	lim := Limits{MemoryMax: 64 << 20, CPUs: 0.5, PidsMax: 20}
	s, err := Attach(context.Background(), child.Process.Pid, lim, Options{Unit: unitName(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s == nil {
		t.Fatal("Attach returned no scope on a host with cgroup v2 and systemd")
	}
	if !strings.HasSuffix(s.Path(), "/"+s.Unit()) {
		t.Errorf("Path() = %s, want it to end in the unit name", s.Path())
	}
	for file, want := range map[string]string{
		"memory.max": "67108864", "cpu.max": "50000 100000", "pids.max": "20", "memory.swap.max": "67108864",
	} {
		if got := readFile(t, filepath.Join(s.Path(), file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	if got := readFile(t, filepath.Join(s.Path(), "cgroup.procs")); got != fmt.Sprint(child.Process.Pid) {
		t.Errorf("cgroup.procs = %q, want only the child %d", got, child.Process.Pid)
	}
	if oom, err := s.OOMKilled(); err != nil || oom {
		t.Errorf("OOMKilled() = %v, %v before anything ran out of memory", oom, err)
	}
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cgroup %s still there after Close: %v", path, err)
	}
	// Stopping the scope killed what was in it.
	if err := child.Wait(); err == nil {
		t.Error("the child survived Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestScopeNoLimits(t *testing.T) {
	needScope(t)
	child := helper(t, "sleep")
	s, err := Attach(context.Background(), child.Process.Pid, Limits{}, Options{Unit: unitName(t)})
	if err != nil || s == nil {
		t.Fatalf("Attach = %v, %v", s, err)
	}
	defer s.Close()
	if got := readFile(t, filepath.Join(s.Path(), "memory.max")); got != "max" {
		t.Errorf("memory.max = %q without a limit", got)
	}
}

// TestOOM lets the scope's only process run out of memory, so that systemd
// removes the cgroup as soon as the process is gone: OOMKilled must still know.
func TestOOM(t *testing.T) {
	needScope(t)
	for i := 0; i < 5; i++ {
		child, gate := gatedHelper(t, "hog")
		s, err := Attach(context.Background(), child.Process.Pid, Limits{MemoryMax: 32 << 20, MemorySwap: 32 << 20},
			Options{Unit: fmt.Sprintf("urun-test-oom-%d-%d.scope", os.Getpid(), i)})
		if err != nil {
			t.Fatal(err)
		}
		gate.Close()
		err = child.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("hog ended with %v, want SIGKILL", err)
		}
		_, statErr := os.Stat(s.Path())
		t.Logf("round %d: cgroup after the hog exited: %v", i, statErr)
		oom, err := s.OOMKilled()
		if err != nil || !oom {
			t.Errorf("round %d: OOMKilled() = %v, %v; want true", i, oom, err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestLeftoverUnitName(t *testing.T) {
	needScope(t)
	// A live scope of the same name is not reset away: the second Attach fails.
	a := helper(t, "sleep")
	b := helper(t, "sleep")
	s, err := Attach(context.Background(), a.Process.Pid, Limits{}, Options{Unit: unitName(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := Attach(context.Background(), b.Process.Pid, Limits{}, Options{Unit: unitName(t)}); err == nil {
		_ = s2.Close()
		t.Fatal("a second scope with the name of a live one was created")
	}
}

// BenchmarkAttachClose measures a scope's life around an idle process: what
// every container pays for its cgroup.
func BenchmarkAttachClose(b *testing.B) {
	if v2, _ := IsCgroup2(Mountpoint); !v2 {
		b.Skip("SKIP: no cgroup v2")
	}
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "URUN_CGTEST_HELPER=sleep")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		s, err := Attach(context.Background(), cmd.Process.Pid, Limits{MemoryMax: 64 << 20},
			Options{Unit: fmt.Sprintf("urun-bench-%d-%d.scope", os.Getpid(), i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		_ = cmd.Wait()
	}
}
