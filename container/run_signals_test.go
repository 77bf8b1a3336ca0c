package container

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// A signal caught early (CatchSignals) by a run that then goes to pull an
// image (ReleaseSignals) takes its default action, raised again: Ctrl-C
// during a pull ends urun, as it did before signals were caught early.
func TestReleasedSignalsTakeTheirDefaultAction(t *testing.T) {
	if os.Getenv("URUN_TEST_RELEASE") == "1" {
		CatchSignals()
		<-caught.done // catching (before, a signal takes its default action anyway)
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(100 * time.Millisecond) // caught, not killed
		os.Stdout.WriteString("caught\n")
		ReleaseSignals()
		time.Sleep(2 * time.Second)
		os.Stdout.WriteString("still alive\n")
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReleasedSignalsTakeTheirDefaultAction$")
	cmd.Env = append(os.Environ(), "URUN_TEST_RELEASE=1")
	out, err := cmd.Output()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if string(out) != "caught\n" || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("output %q, %v: want \"caught\" and death by SIGTERM", out, err)
	}
}
