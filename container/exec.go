package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
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
	// input); Detach returns once it runs: the process keeps the stdio
	// given here, except a terminal (/dev/null instead), as runc's exec -d
	// keeps the pipes conmon gives it.
	TTY, Interactive, Detach bool
	Stdin, Stdout, Stderr    *os.File

	// Process is exec --process's file: the process to run instead of the
	// container's (its capabilities and rlimits, when it has none, are the
	// container's, as runc does); the fields above still override it.
	Process *specs.Process
	// Caps are --cap values (normalised names) added to every set;
	// NoNewPrivs sets no_new_privs.
	Caps       []string
	NoNewPrivs bool
	// ConsoleSocket is where the terminal master goes (runc's protocol)
	// instead of being relayed; PidFile gets the command's host pid.
	ConsoleSocket string
	PidFile       string
	// PreserveFDs are given to the command as fds 3, 4, ...
	PreserveFDs []*os.File
	// LogError gets urun's one-line error too (the --log file engines
	// read); nil: stderr only.
	LogError func(msg string)
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
	p, err := execProcess(c)
	if err != nil {
		c.report(err)
		return userns.StatusError
	}
	var console *os.File
	if c.ConsoleSocket != "" {
		if console, err = dialConsole(c.ConsoleSocket); err != nil {
			c.report(err)
			return userns.StatusError
		}
		defer console.Close()
	}
	ep, err := startExec(c, p)
	if err == nil && c.PidFile != "" {
		if err = writePidFile(c.PidFile, ep.PID); err != nil {
			ep.Kill()
		}
	}
	if err == nil && console != nil {
		err = sendConsole(console, ep.Master)
		ep.Master.Close()
		ep.Master = nil
		if err != nil {
			ep.Kill()
		}
	}
	if err != nil {
		status := userns.StatusError
		var ie *userns.InitError
		if errors.As(err, &ie) {
			status = ie.Status
		}
		c.report(err)
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

// report prints urun's one line for err.
func (c *ExecConfig) report(err error) {
	fmt.Fprintf(c.Stderr, "urun: %v\n", err)
	if c.LogError != nil {
		c.LogError(err.Error())
	}
}

// startExec starts the process p.
func startExec(c *ExecConfig, p *specs.Process) (*userns.ExecProcess, error) {
	var err error
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
		Config:      &userns.ExecConfig{Process: p, Seccomp: filter},
		Detach:      c.Detach,
		Reparent:    c.Detach,
		PreserveFDs: c.PreserveFDs,
	}
	if c.Detach {
		o.Stdin, o.Stdout, o.Stderr = notTerminal(c.Stdin), notTerminal(c.Stdout), notTerminal(c.Stderr)
	} else {
		o.Stdout, o.Stderr = c.Stdout, c.Stderr
		if c.Interactive {
			o.Stdin = c.Stdin
		}
	}
	return userns.Enter(o)
}

// notTerminal is f unless it is a terminal (or nil): a detached process
// must not write into, or read from, the terminal exec was typed at.
func notTerminal(f *os.File) *os.File {
	if f == nil || pty.IsTerminal(f) {
		return nil
	}
	return f
}

// execProcess is the container's process (or --process's) with exec's
// command and overrides, checked.
func execProcess(c *ExecConfig) (*specs.Process, error) {
	p, err := mergeProcess(c)
	if err != nil {
		return nil, err
	}
	if c.Detach && p.Terminal && c.ConsoleSocket == "" {
		return nil, errors.New("exec -d with a terminal needs --console-socket SOCK to send it to: nothing would hold it otherwise; drop -t or give the socket")
	}
	if c.ConsoleSocket != "" && !p.Terminal {
		return nil, errors.New("--console-socket needs a terminal to send: add -t (or \"terminal\": true in the --process file)")
	}
	return p, nil
}

func mergeProcess(c *ExecConfig) (*specs.Process, error) {
	if c.Spec == nil || c.Spec.Process == nil {
		return nil, errors.New("the container's config has no process; it cannot be exec'd into")
	}
	var p specs.Process
	if c.Process != nil {
		p = *c.Process
		if p.Capabilities == nil {
			p.Capabilities = c.Spec.Process.Capabilities
		}
		if len(p.Rlimits) == 0 {
			p.Rlimits = c.Spec.Process.Rlimits
		}
		p.OOMScoreAdj = c.Spec.Process.OOMScoreAdj
		p.Terminal = p.Terminal || c.TTY
		if len(c.Args) > 0 {
			p.Args = c.Args
		}
	} else {
		if len(c.Args) == 0 {
			return nil, errors.New("no command given: urun exec ID CMD [ARG...]")
		}
		p = *c.Spec.Process
		p.Args = c.Args
		p.Terminal = c.TTY
		p.ConsoleSize = nil
	}
	p.Capabilities = addCaps(p.Capabilities, c.Caps)
	p.NoNewPrivileges = p.NoNewPrivileges || c.NoNewPrivs
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
	if p.Terminal {
		if c.ConsoleSocket == "" && p.ConsoleSize == nil && c.Stdin != nil {
			if rows, cols, err := pty.GetSize(c.Stdin); err == nil && rows > 0 && cols > 0 {
				p.ConsoleSize = &specs.Box{Height: uint(rows), Width: uint(cols)}
			}
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

// addCaps is base with caps added to every set (runc's exec --cap); base is
// not changed. No capabilities at all (a config without them) is the empty
// set, never "keep the stage's".
func addCaps(base *specs.LinuxCapabilities, caps []string) *specs.LinuxCapabilities {
	c := &specs.LinuxCapabilities{}
	if base != nil {
		*c = *base
	}
	add := func(set []string) []string {
		out := append([]string(nil), set...)
		for _, n := range caps {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out
	}
	c.Bounding, c.Effective, c.Permitted = add(c.Bounding), add(c.Effective), add(c.Permitted)
	c.Inheritable, c.Ambient = add(c.Inheritable), add(c.Ambient)
	return c
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}
