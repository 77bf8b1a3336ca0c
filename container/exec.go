package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/cgroupdelegate"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/seccomp"
	"github.com/urun-dev/urun/spec"
	"github.com/urun-dev/urun/usergroup"
	"github.com/urun-dev/urun/userns"
)

// ExecConfig describes one `urun exec`: a new process in a running
// container.
type ExecConfig struct {
	// PID is the host pid of the container's PID 1; CgroupPath its cgroup
	// directory ("" without a scope).
	PID        int
	CgroupPath string
	// Spec is the container's spec as it was run: the new process gets its
	// environment, user, capabilities, rlimits, no_new_privs and seccomp
	// filter, with the overrides below.
	Spec *specs.Spec
	Args []string
	// Env are -e values (KEY=VALUE), set over the container's environment.
	Env []string
	// Cwd is -w ("" the container's); User is -u ("" the container's).
	Cwd  string
	User string
	// TTY gives the process a terminal of its own; Interactive relays
	// stdin (without it the process reads /dev/null or, with TTY, gets no
	// input); Detach returns once it runs, with no output.
	TTY, Interactive, Detach bool
	Stdin, Stdout, Stderr    *os.File
}

// Exec runs the command in the container and returns urun's exit status:
// the command's, 128+N for signal N, 126/127 when it cannot be run, or 125
// after one line when urun failed.
func Exec(c *ExecConfig) int {
	sigs := make(chan os.Signal, 8)
	if !c.Detach {
		signal.Notify(sigs, forwarded...)
		defer signal.Stop(sigs)
	}
	ep, err := startExec(c)
	if err != nil {
		status := userns.StatusError
		var ie *userns.InitError
		if errors.As(err, &ie) {
			status = ie.Status
		}
		fmt.Fprintf(c.Stderr, "urun: %v\n", err)
		return status
	}
	if c.Detach {
		ep.Release()
		return 0
	}
	var tty *pty.Session
	if ep.Master != nil {
		in := c.Stdin
		if !c.Interactive {
			in = nil
		}
		if tty, err = pty.Start(ep.Master, in, c.Stdout); err != nil {
			_ = ep.Signal(syscall.SIGKILL)
			_, _ = ep.Wait()
			fmt.Fprintf(c.Stderr, "urun: relaying the terminal: %v\n", err)
			return userns.StatusError
		}
	}
	done := make(chan int, 1)
	go func() {
		s, err := ep.Wait()
		if err != nil {
			fmt.Fprintf(c.Stderr, "urun: %v\n", err)
		}
		done <- s
	}()
	for {
		select {
		case s := <-done:
			if tty != nil {
				// The kernel keeps what the command wrote last in the
				// terminal until it is read: drain it (the master reads EIO
				// once every holder of the slave is gone), then restore the
				// user's terminal. A background process the command left
				// holding the terminal keeps exec attached until it lets go,
				// as with ssh.
				_ = tty.Wait()
			}
			return s
		case s := <-sigs:
			// The command is not PID 1 of its namespace: the kernel
			// delivers any signal to it, handler or not.
			_ = ep.Signal(s.(syscall.Signal))
		}
	}
}

// startExec checks and completes the process and starts it.
func startExec(c *ExecConfig) (*userns.ExecProcess, error) {
	if c.Detach && c.TTY {
		return nil, errors.New("exec -d cannot be combined with -t: nothing would hold the terminal; drop -t")
	}
	p, err := execProcess(c)
	if err != nil {
		return nil, err
	}
	var filter *seccomp.Program
	if l := c.Spec.Linux; l != nil && l.Seccomp != nil {
		if filter, err = seccomp.Compile(l.Seccomp); err != nil {
			return nil, fmt.Errorf("compiling the container's seccomp profile: %w", err)
		}
	}
	o := userns.EnterOptions{
		PID:        c.PID,
		NetNS:      spec.HasNamespace(c.Spec, specs.NetworkNamespace),
		CgroupPath: c.CgroupPath,
		Join: func(pid int) error {
			return cgroupdelegate.Join(context.Background(), filepath.Base(c.CgroupPath), pid)
		},
		Config: &userns.ExecConfig{Process: p, Seccomp: filter},
		Detach: c.Detach,
	}
	if !c.Detach {
		o.Stdout, o.Stderr = c.Stdout, c.Stderr
		if c.Interactive {
			o.Stdin = c.Stdin
		}
	}
	return userns.Enter(o)
}

// execProcess is the container's process with exec's command and overrides.
func execProcess(c *ExecConfig) (*specs.Process, error) {
	if c.Spec == nil || c.Spec.Process == nil {
		return nil, errors.New("the container's config has no process; it cannot be exec'd into")
	}
	if len(c.Args) == 0 {
		return nil, errors.New("no command given: urun exec ID CMD [ARG...]")
	}
	p := *c.Spec.Process
	p.Args = c.Args
	p.Terminal = c.TTY
	p.ConsoleSize = nil
	if c.Cwd != "" {
		p.Cwd = c.Cwd
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	env := append([]string(nil), p.Env...)
	if c.User != "" {
		// Looked up in the container's own /etc/passwd and /etc/group,
		// opened inside its root (through /proc/PID/root), so a symlink
		// there leads nowhere on the host.
		u, err := usergroup.Resolve("/proc/"+strconv.Itoa(c.PID)+"/root", c.User, nil)
		if err != nil {
			return nil, err
		}
		p.User = specs.User{UID: u.UID, GID: u.GID, AdditionalGids: u.AdditionalGids}
		env = spec.MergeEnv(env, []string{"HOME=" + u.Home})
		if u.Name != "" {
			env = spec.MergeEnv(env, []string{"USER=" + u.Name})
		}
	}
	env = spec.MergeEnv(env, c.Env)
	if c.TTY {
		if rows, cols, err := pty.GetSize(c.Stdin); err == nil && rows > 0 && cols > 0 {
			p.ConsoleSize = &specs.Box{Height: uint(rows), Width: uint(cols)}
		}
		if !hasEnv(env, "TERM") {
			term := os.Getenv("TERM")
			if term == "" {
				term = "xterm"
			}
			env = append(env, "TERM="+term)
		}
	}
	p.Env = env
	return &p, nil
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}
