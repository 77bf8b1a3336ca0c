package trace

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Env is the variable that turns tracing on.
const Env = "URUN_TRACE"

type event struct {
	t    int64 // CLOCK_MONOTONIC, ns
	who  string
	what string
}

var (
	on bool
	// base is the timeline's zero; start is when this package initialised.
	base, start int64
	mu          sync.Mutex
	events      []event
	// stage, in the init stage, is where its marks go (nil: the parent).
	stage *os.File
	// collecting counts readers of stage pipes still running.
	collecting sync.WaitGroup
)

func init() {
	v := os.Getenv(Env)
	if v == "" || v == "0" {
		return
	}
	on = true
	start = Now()
	base = start
	// A reading from the caller's clock: only one from the past counts.
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 1 && n <= start {
		base = n
	}
	events = append(events, event{t: start, who: "urun", what: "go runtime up, package init"})
}

// On reports whether this run is traced.
func On() bool { return on }

// Now is CLOCK_MONOTONIC in nanoseconds.
func Now() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// Base is the timeline's zero (for a stage's argument).
func Base() int64 { return base }

// Mark records that phase what has been reached now.
func Mark(what string) {
	if !on {
		return
	}
	MarkAt(Now(), what)
}

// MarkAt records a phase reached at t (a Now reading).
func MarkAt(t int64, what string) {
	if !on {
		return
	}
	if stage != nil {
		// One write per mark: the parent reads lines until the exec closes
		// the pipe, so a stage that fails half-way still shows how far it got.
		_, _ = stage.WriteString(strconv.FormatInt(t, 10) + " " + what + "\n")
		return
	}
	mu.Lock()
	events = append(events, event{t: t, who: "urun", what: what})
	mu.Unlock()
}

// Usage records this process's peak resident set so far, in KiB (the init
// stage's before it execs the command: exec starts a new count), and the CPU
// time it has used since its fork, in ms; in urun (not in a stage), also the
// CPU time of the processes it has reaped: the init stage and the command,
// newuidmap and newgidmap, slirp4netns. Together they split a run's CPU time
// by process, which the wall-clock timeline cannot show.
func Usage() {
	if !on {
		return
	}
	t := Now()
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil {
		MarkAt(t, "cpu ms = "+cpuMS(ru))
	}
	if stage == nil && unix.Getrusage(unix.RUSAGE_CHILDREN, &ru) == nil {
		MarkAt(t, "reaped processes' cpu ms = "+cpuMS(ru))
	}
	// VmHWM, the peak of this program's own memory since its exec.
	// getrusage's ru_maxrss is no use here: the kernel carries into it the
	// peak of the memory the process had before its exec, that is, of the
	// process that forked it (urun's, for the init stage; the caller's for
	// urun, 800 MB under go test).
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			MarkAt(t, "peak RSS KiB = "+strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return
		}
	}
}

// cpuMS is ru's user and system time together, in ms.
func cpuMS(ru unix.Rusage) string {
	ns := ru.Utime.Nano() + ru.Stime.Nano()
	return strconv.FormatFloat(float64(ns)/1e6, 'f', 2, 64)
}

// Since records what with its duration since t0 (a Now reading) in the label.
func Since(t0 int64, what string) {
	if !on {
		return
	}
	t := Now()
	MarkAt(t, fmt.Sprintf("%s (%.3f ms)", what, float64(t-t0)/1e6))
}

// Pipe makes the pipe a child process (the init stage) writes its marks
// to: w goes to the child, which calls StartStage with its descriptor
// number, and the parent reads r until the child's exec closes it. Off, it
// returns nils.
func Pipe(who string) (w *os.File, err error) {
	if !on {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("making the trace pipe: %w", err)
	}
	collecting.Add(1)
	go func() {
		defer collecting.Done()
		defer r.Close()
		collect(r, who)
	}()
	return w, nil
}

func collect(r io.Reader, who string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		ts, what, ok := strings.Cut(sc.Text(), " ")
		t, err := strconv.ParseInt(ts, 10, 64)
		if !ok || err != nil {
			continue
		}
		mu.Lock()
		events = append(events, event{t: t, who: who, what: what})
		mu.Unlock()
	}
}

// StartStage turns tracing on in a child started with Pipe's write end as
// descriptor fd (close-on-exec here, so the command never holds it), with
// the parent's base. Its first mark is the stage's own Go start.
func StartStage(fd int, parentBase int64) {
	unix.CloseOnExec(fd)
	stage = os.NewFile(uintptr(fd), "trace")
	on = true
	base = parentBase
	now := Now()
	if start == 0 {
		start = now
	}
	MarkAt(start, "stage main: go runtime up, package init done")
}

// Flush prints the timeline to w, in time order, and forgets it. It waits
// for the stages' pipes to close (at their exec or exit).
func Flush(w io.Writer) {
	if !on || stage != nil {
		return
	}
	collecting.Wait()
	mu.Lock()
	ev := events
	events = nil
	mu.Unlock()
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].t < ev[j].t })
	var b strings.Builder
	prev := base
	for _, e := range ev {
		fmt.Fprintf(&b, "urun-trace: %9.3f ms %+8.3f  %-5s %s\n", float64(e.t-base)/1e6, float64(e.t-prev)/1e6, e.who, e.what)
		prev = e.t
	}
	_, _ = io.WriteString(w, b.String())
}
