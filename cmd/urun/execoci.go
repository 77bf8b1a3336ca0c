package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urun-dev/urun/bundle"
	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/spec"
	"golang.org/x/sys/unix"
)

// ExecOCIFlags are runc's exec flags, which engines pass: conmon calls
// `RUNTIME exec --pid-file F --process P --detach [--preserve-fds N]
// [--console-socket S] ID`, containerd's shim the same through go-runc.
type ExecOCIFlags struct {
	Process       string   `short:"p" help:"Run the process described in this JSON file (a runtime-spec process object, as in config.json) instead of the container's; for engines." type:"path" placeholder:"FILE"`
	ConsoleSocket string   `help:"With a terminal: send its master to this Unix socket (SCM_RIGHTS, runc's protocol) instead of relaying it; for engines." type:"path" placeholder:"SOCK"`
	PidFile       string   `help:"Write the process's host pid to this file." type:"path" placeholder:"FILE"`
	Cap           []string `short:"c" help:"Add a capability to every set of the process (runc's --cap). Repeatable." placeholder:"CAP"`
	NoNewPrivs    bool     `help:"Set no_new_privs for the process."`
	PreserveFDs   int      `name:"preserve-fds" help:"Pass this many more descriptors (3, 4, ...) to the process." placeholder:"N"`
	ProcessLabel  string   `help:"Accepted for engines and ignored: urun has no SELinux support." placeholder:"LABEL"`
	Apparmor      string   `help:"Accepted for engines and ignored: urun has no AppArmor support." placeholder:"PROFILE"`
	NoSubreaper   bool     `help:"Accepted for engines: urun exec holds no subreaper."`
}

// apply puts the flags into c; what it reports is a user error.
func (f *ExecOCIFlags) apply(g *Globals, c *container.ExecConfig) error {
	if f.ProcessLabel != "" {
		g.Debugf("ignoring --process-label %q: urun has no SELinux support", f.ProcessLabel)
	}
	if f.Apparmor != "" {
		g.Debugf("ignoring --apparmor %q: urun has no AppArmor support", f.Apparmor)
	}
	if f.Process != "" {
		p, err := bundle.LoadProcess(f.Process, g.Debugf)
		if err != nil {
			return err
		}
		c.Process = p
	}
	caps, err := spec.ParseCaps("--cap", f.Cap)
	if err != nil {
		return err
	}
	for _, n := range caps {
		if n == "ALL" {
			caps = spec.AllCaps()
			break
		}
	}
	c.Caps, c.NoNewPrivs = caps, f.NoNewPrivs
	c.ConsoleSocket, c.PidFile = f.ConsoleSocket, f.PidFile
	fds, err := preservedFDs(f.PreserveFDs)
	if err != nil {
		return err
	}
	c.PreserveFDs = fds
	return nil
}

// inheritedFDs is how many descriptors from 3 on urun was started with:
// the caller's. A --preserve-fds larger than what was passed would otherwise
// hand over urun's own: the --log file, or the cgroup files the Go runtime
// opens before main (to follow its CPU limit) and keeps open. Those are
// close-on-exec; an inherited descriptor never is (it survived the exec).
var inheritedFDs int

// noteInheritedFDs counts them; main calls it first, when --preserve-fds is
// given.
func noteInheritedFDs(args []string) {
	for _, a := range args {
		if strings.HasPrefix(a, "--preserve-fds") {
			for fd := 3; fd < 3+maxPreserveFDs; fd++ {
				flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
				if err != nil || flags&unix.FD_CLOEXEC != 0 {
					break
				}
				inheritedFDs++
			}
			return
		}
	}
}

const maxPreserveFDs = 1 << 16

// preservedFDs checks that fds 3..3+n-1 were passed and returns them.
func preservedFDs(n int) ([]*os.File, error) {
	if n < 0 || n > maxPreserveFDs {
		return nil, fmt.Errorf("--preserve-fds %d is out of range: give the number of descriptors from 3 on to pass", n)
	}
	if n > inheritedFDs {
		return nil, fmt.Errorf("--preserve-fds %d: descriptor %d is not open: pass descriptors 3 to %d", n, 3+inheritedFDs, 2+n)
	}
	var fds []*os.File
	for fd := 3; fd < 3+n; fd++ {
		fds = append(fds, os.NewFile(uintptr(fd), "preserved-fd-"+strconv.Itoa(fd)))
	}
	return fds, nil
}
