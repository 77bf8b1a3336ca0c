package monitor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/container"
)

// Arg is the hidden verb that makes urun a monitor: `urun monitor`.
const Arg = "monitor"

// Options are what a detached run adds to the container's config.
type Options struct {
	// LogSizeMax bounds the log (0: DefaultLogSizeMax).
	LogSizeMax int64
	// Interactive keeps the container's stdin open for attach (-i).
	Interactive bool
	// Hold, when set, is a file the monitor keeps open until the container
	// has ended (an image's in-use mark: an flock lives while a descriptor
	// of it does).
	Hold *os.File `json:"-"`
	// OCI makes an OCI container (urun create): see doc.go. Launch then
	// returns once it is created, with the caller's stdio as its own.
	OCI *OCIOptions
	// Message, if set, gets each line the monitor prints for the caller
	// (after it is written to the caller's stderr): create logs them to
	// --log.
	Message func(line string) `json:"-"`
}

// OCIOptions are the OCI container's part of the launch (container.OCI
// without the callbacks, which are the monitor's).
type OCIOptions struct {
	Bundle        string
	ConsoleSocket string
	PidFile       string
}

// launch is what the CLI hands the monitor on its config pipe: the run's
// config without its files (the monitor makes its own stdio).
type launch struct {
	ID         string
	Name       string
	StoreRoot  string
	Spec       *specs.Spec
	DefaultCmd bool
	Quiet      bool
	Verbose    bool
	Network    container.Network
	AutoRemove bool
	Options    Options
	// Hold: fd 6 is Options.Hold.
	Hold bool
}

// Fds of the monitor, from the CLI (ExtraFiles order).
const (
	fdConfig = 3 // the launch JSON, then EOF
	fdReport = 4 // the monitor writes "running" or "exit N", then closes it
	fdErr    = 5 // the caller's stderr, for urun's messages until the command runs
	fdHold   = 6 // Options.Hold, when there is one: kept open, never read
	// An OCI container's stdio: the caller's own (Options.OCI).
	fdStdin, fdStdout, fdStderr = 7, 8, 9
)

// Launch starts a monitor for c (urun run -d) and returns once the command
// runs (0) or failed to start (its status: 125, 126, 127, with urun's message
// already printed on stderr by the monitor). The monitor is urun re-executed
// in a session of its own: it does not need this process to stay, and it is
// not killed with it (no Pdeathsig), so killing the CLI at any moment leaves a
// started container alone.
func Launch(c *container.Config, o Options) int {
	l := launch{ID: c.ID, Name: c.Name, StoreRoot: c.StoreRoot, Spec: c.Spec, DefaultCmd: c.DefaultCmd,
		Quiet: c.Quiet, Verbose: c.Verbose, Network: c.Network, AutoRemove: c.AutoRemove, Options: o, Hold: o.Hold != nil}
	b, err := json.Marshal(&l)
	if err != nil {
		fmt.Fprintf(c.Stderr, "urun: encoding the monitor's config: %v\n", err)
		return 125
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(c.Stderr, "urun: making the monitor's config pipe: %v\n", err)
		return 125
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(c.Stderr, "urun: making the monitor's report pipe: %v\n", err)
		return 125
	}
	// The binary by its path (not /proc/self/exe), so ps and top name the
	// monitor as the user knows it.
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	msgs, msgR, msgW := c.Stderr, (*os.File)(nil), (*os.File)(nil)
	if o.Message != nil {
		// The monitor's lines come through a pipe, so the caller sees
		// them as lines too.
		if msgR, msgW, err = os.Pipe(); err != nil {
			fmt.Fprintf(c.Stderr, "urun: making the monitor's message pipe: %v\n", err)
			return 125
		}
		msgs = msgW
	}
	extra := []*os.File{cfgR, repW, msgs}
	if o.Hold != nil {
		extra = append(extra, o.Hold)
	}
	if o.OCI != nil {
		if o.Hold == nil {
			// fd 6 is the hold's: fill it (the monitor closes it).
			extra = append(extra, c.Stdin)
		}
		extra = append(extra, c.Stdin, c.Stdout, c.Stderr)
	}
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        []string{"urun", Arg},
		Env:         os.Environ(),
		Dir:         "/",
		ExtraFiles:  extra,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	cfgR.Close()
	repW.Close()
	copied := make(chan struct{})
	if msgR != nil {
		msgW.Close()
		go func() {
			defer close(copied)
			sc := bufio.NewScanner(msgR)
			for sc.Scan() {
				fmt.Fprintln(c.Stderr, sc.Text())
				o.Message(sc.Text())
			}
			msgR.Close()
		}()
	} else {
		close(copied)
	}
	// The monitor has said all it says to the caller once the report is
	// read and its message pipe is closed.
	defer func() { <-copied }()
	if err != nil {
		cfgW.Close()
		repR.Close()
		fmt.Fprintf(c.Stderr, "urun: starting the monitor: %v\n", err)
		return 125
	}
	// The monitor outlives this process: it is not waited for.
	_ = cmd.Process.Release()
	_, werr := cfgW.Write(b)
	cfgW.Close()
	line, rerr := bufio.NewReader(repR).ReadString('\n')
	repR.Close()
	switch {
	case strings.TrimSpace(line) == "running", o.OCI != nil && strings.TrimSpace(line) == "created":
		return 0
	case strings.HasPrefix(line, "exit "):
		if n, err := strconv.Atoi(strings.TrimSpace(line[5:])); err == nil {
			return n
		}
	}
	if werr != nil {
		fmt.Fprintf(c.Stderr, "urun: sending the monitor its config: %v\n", werr)
	} else if rerr != nil && rerr != io.EOF {
		fmt.Fprintf(c.Stderr, "urun: reading the monitor's report: %v\n", rerr)
	} else {
		fmt.Fprintln(c.Stderr, "urun: the container's monitor ended before the container started; run again with --verbose")
	}
	return 125
}
