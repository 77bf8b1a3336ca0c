package pty

// The interactive tests run three processes, as urun does:
//
//	test (the person: ptytest.Console's master is keyboard and screen)
//	  relay helper: the host side of urun. Its stdin/stdout are the console's
//	  slave, which is its controlling terminal, so it gets SIGWINCH.
//	    init helper: the init stage. Optionally in new user and mount
//	    namespaces with its own devpts instance on /dev/pts. It calls
//	    SetupInContainer and execs the command, which becomes a session
//	    leader on the inner terminal.
//
// The helpers are this test binary re-executed: TestMain dispatches on
// helperRole before the testing package parses flags.

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	helperRole     = "URUN_PTY_TEST_ROLE"       // "relay" or "init"
	helperOwnPts   = "URUN_PTY_TEST_OWN_DEVPTS" // "1": new userns+mountns with a devpts newinstance
	helperSize     = "URUN_PTY_TEST_SIZE"       // "ROWS COLS" for the init helper
	helperNoSignal = "URUN_PTY_TEST_NO_SIGNALS" // "1": the relay does not catch SIGTERM/SIGHUP
)

// runHelper runs the helper role named in the environment, if any, and exits.
func runHelper() {
	switch os.Getenv(helperRole) {
	case "relay":
		os.Exit(relayMain())
	case "init":
		os.Exit(initMain())
	}
}

func helperEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "URUN_PTY_TEST_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// relayMain is what urun does on the host side with a terminal.
func relayMain() int {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay: socketpair:", err)
		return 125
	}
	parentSock := os.NewFile(uintptr(fds[0]), "relay socket")
	childSock := os.NewFile(uintptr(fds[1]), "init socket")
	rows, cols, _ := GetSize(os.Stdin)

	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = helperEnv(helperRole+"=init", fmt.Sprintf("%s=%d %d", helperSize, rows, cols))
	cmd.ExtraFiles = []*os.File{childSock} // fd 3 in the child
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if os.Getenv(helperOwnPts) == "1" {
		cmd.Env = append(cmd.Env, helperOwnPts+"=1")
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "relay: start init:", err)
		return 125
	}
	childSock.Close()

	master, err := RecvFd(parentSock)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		cmd.Process.Kill()
		cmd.Wait()
		return 125
	}
	sess, err := Start(master, os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		cmd.Process.Kill()
		cmd.Wait()
		return 125
	}

	killed := make(chan int, 1)
	if os.Getenv(helperNoSignal) != "1" {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
		go func() {
			sig := <-sigs
			// What urun does when it is told to go: give the terminal back
			// first, then end the container.
			sess.Restore()
			killed <- 128 + int(sig.(syscall.Signal))
			cmd.Process.Kill()
		}()
	}

	werr := cmd.Wait()
	select {
	case code := <-killed:
		// Without a PID namespace a stray child of the killed shell could
		// hold the terminal: do not wait for its output.
		sess.Close()
		return code
	default:
	}
	if err := sess.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
	}
	if werr != nil {
		if ee, ok := werr.(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		return 125
	}
	return 0
}

// initMain is what the init stage does before it execs the command.
func initMain() int {
	sock := os.NewFile(3, "init socket")
	if os.Getenv(helperOwnPts) == "1" {
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			fmt.Fprintln(os.Stderr, "init: make / private:", err)
			return 125
		}
		if err := unix.Mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC,
			"newinstance,ptmxmode=0666,mode=0620"); err != nil {
			fmt.Fprintln(os.Stderr, "init: mount devpts:", err)
			return 125
		}
	}
	var rows, cols uint16
	if f := strings.Fields(os.Getenv(helperSize)); len(f) == 2 {
		r, _ := strconv.ParseUint(f[0], 10, 16)
		c, _ := strconv.ParseUint(f[1], 10, 16)
		rows, cols = uint16(r), uint16(c)
	}
	if err := SetupInContainer(sock, rows, cols); err != nil {
		fmt.Fprintln(os.Stderr, "init:", err)
		return 125
	}
	sock.Close()
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "init:", err)
		return 127
	}
	err = unix.Exec(path, os.Args[1:], helperEnv())
	fmt.Fprintln(os.Stderr, "init: exec:", err)
	return 126
}
