// Command subreaper plays an engine's part in the exec tests: like conmon and
// containerd's shim it is a child subreaper, runs the runtime (`urun exec -d
// --pid-file F ...`), reads the pid F names once the runtime has exited, and
// waits for that pid as its own child: it must get the command's exit.
//
//	subreaper [-signal N] PIDFILE CMD [ARG...]
//
// It prints one line per fact: runtime=STATUS, pid=N, parent=self|PID (the
// pid's parent before the wait), cmdline=ARGV (space-separated), then
// exit=N or signal=N, or wait=ERROR when the pid is not its child. With
// -signal it sends signal N to the pid before waiting.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

func main() {
	sig := flag.Int("signal", 0, "signal to send to the pid before waiting")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: subreaper [-signal N] PIDFILE CMD [ARG...]")
		os.Exit(2)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "subreaper: %v\n", err)
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(1), flag.Args()[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	status := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			fmt.Fprintf(os.Stderr, "subreaper: %v\n", err)
			os.Exit(2)
		}
		status = ee.ExitCode()
	}
	fmt.Printf("runtime=%d\n", status)
	if status != 0 {
		return
	}
	b, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Printf("pidfile=%v\n", err)
		return
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil || pid <= 0 {
		fmt.Printf("pidfile=%q\n", b)
		return
	}
	fmt.Printf("pid=%d\n", pid)
	// A zombie keeps its status and cmdline-less /proc entry until reaped.
	parent := "?"
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, "PPid:"); ok {
			parent = strings.TrimSpace(v)
			if parent == strconv.Itoa(os.Getpid()) {
				parent = "self"
			}
		}
	}
	fmt.Printf("parent=%s\n", parent)
	cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	fmt.Printf("cmdline=%s\n", bytes.TrimSpace(bytes.ReplaceAll(cl, []byte{0}, []byte{' '})))
	if *sig != 0 {
		if err := unix.Kill(pid, unix.Signal(*sig)); err != nil {
			fmt.Printf("kill=%v\n", err)
		}
	}
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err != nil:
		fmt.Printf("wait=%v\n", err)
	case ws.Signaled():
		fmt.Printf("signal=%d\n", int(ws.Signal()))
	default:
		fmt.Printf("exit=%d\n", ws.ExitStatus())
	}
}
