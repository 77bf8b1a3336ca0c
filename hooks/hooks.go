package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Phase is a point in a container's life at which hooks run.
type Phase string

// The spec's phases, in the order they happen.
const (
	Prestart        Phase = "prestart" // deprecated by the spec, still sent by engines
	CreateRuntime   Phase = "createRuntime"
	CreateContainer Phase = "createContainer"
	StartContainer  Phase = "startContainer"
	Poststart       Phase = "poststart"
	Poststop        Phase = "poststop"
)

// Phases lists every phase, in order.
var Phases = []Phase{Prestart, CreateRuntime, CreateContainer, StartContainer, Poststart, Poststop}

// Fatal reports whether a failing hook of this phase stops the container.
func (p Phase) Fatal() bool { return p != Poststart && p != Poststop }

// Of returns the hooks of phase p in h (nil h: none).
func Of(h *specs.Hooks, p Phase) []specs.Hook {
	if h == nil {
		return nil
	}
	switch p {
	case Prestart:
		//lint:ignore SA1019 engines still send prestart hooks
		return h.Prestart
	case CreateRuntime:
		return h.CreateRuntime
	case CreateContainer:
		return h.CreateContainer
	case StartContainer:
		return h.StartContainer
	case Poststart:
		return h.Poststart
	case Poststop:
		return h.Poststop
	}
	return nil
}

// Options are where a hook's output goes.
type Options struct {
	Stdout, Stderr io.Writer // nil: discarded
}

// Error is a hook that failed.
type Error struct {
	Phase Phase
	Index int
	Path  string
	Err   error  // the exit status, the timeout, or the exec error
	Last  string // the hook's last line of stderr, if any
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s hook %d (%s): %v", e.Phase, e.Index, e.Path, e.Err)
	if e.Last != "" {
		msg += ": " + e.Last
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTimeout is in the chain of a hook that ran past its timeout.
var ErrTimeout = errors.New("timed out")

// Run runs the hooks of phase p in order with st on stdin, and returns the
// first failure (an *Error).
func Run(ctx context.Context, h *specs.Hooks, p Phase, st *specs.State, o Options) error {
	hs := Of(h, p)
	if len(hs) == 0 {
		return nil
	}
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("%s hooks: encoding the state: %w", p, err)
	}
	for i, hk := range hs {
		if err := runOne(ctx, hk, state, o); err != nil {
			return &Error{Phase: p, Index: i, Path: hk.Path, Err: err.err, Last: err.last}
		}
	}
	return nil
}

// RunAll runs every hook of phase p even when some fail, and returns each
// failure: what poststart and poststop need, whose failures are warnings.
func RunAll(ctx context.Context, h *specs.Hooks, p Phase, st *specs.State, o Options) []error {
	hs := Of(h, p)
	if len(hs) == 0 {
		return nil
	}
	state, err := json.Marshal(st)
	if err != nil {
		return []error{fmt.Errorf("%s hooks: encoding the state: %w", p, err)}
	}
	var errs []error
	for i, hk := range hs {
		if err := runOne(ctx, hk, state, o); err != nil {
			errs = append(errs, &Error{Phase: p, Index: i, Path: hk.Path, Err: err.err, Last: err.last})
		}
	}
	return errs
}

type hookErr struct {
	err  error
	last string
}

// maxStderr bounds what is kept of a hook's stderr for the message.
const maxStderr = 4096

func runOne(ctx context.Context, h specs.Hook, state []byte, o Options) *hookErr {
	if h.Path == "" || !strings.HasPrefix(h.Path, "/") {
		return &hookErr{err: fmt.Errorf("path %q is not absolute: the spec wants an absolute path", h.Path)}
	}
	if h.Timeout != nil && *h.Timeout <= 0 {
		return &hookErr{err: fmt.Errorf("timeout %d is not positive", *h.Timeout)}
	}
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Args = h.Args
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	// Exactly the hook's env: a nil Env would hand it urun's own.
	cmd.Env = append([]string{}, h.Env...)
	cmd.Stdin = bytes.NewReader(state)
	var tail tailBuffer
	cmd.Stdout = o.Stdout
	cmd.Stderr = &tail
	if o.Stderr != nil {
		cmd.Stderr = io.MultiWriter(o.Stderr, &tail)
	}
	// Its own process group, so that the timeout kills what it started
	// too (a shell's sleep), and a wait that is not held up by them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if h.Timeout != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%w after %ds", ErrTimeout, *h.Timeout)
	}
	return &hookErr{err: err, last: tail.last()}
}

// tailBuffer keeps the end of what is written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > maxStderr {
		t.b = t.b[len(t.b)-maxStderr:]
	}
	return len(p), nil
}

func (t *tailBuffer) last() string {
	lines := strings.Split(strings.TrimRight(string(t.b), "\n"), "\n")
	s := strings.Join(strings.Fields(lines[len(lines)-1]), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}
