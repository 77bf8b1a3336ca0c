// Command bench times container start-up: each named command runs N times,
// interleaved (one run of each in turn, so a noisy moment of a shared machine
// hits every row alike), and the table shows the median and minimum wall
// time. Targets compare two rows; urun rows can be traced (URUN_TRACE) for
// the median timeline of their phases. Each row also shows the CPU time its
// process tree used per run (user and system, of the command and of every
// process it waited for): on a CI host that starts containers side by side,
// that is what a start costs, and the wall time of one start on an idle
// machine hides the work done in parallel. It also samples the peak RSS of
// the urun parent while a container runs. Run it with hack/bench.sh, which
// installs the peers and prepares the test user.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// row is one command: NAME=CMD, or NAME*K=CMD for K sequential runs per
// sample (crun's "100 containers" measure).
type row struct {
	name  string
	args  []string
	times int
	d     []time.Duration
	// cpu is each sample's CPU time (user and system) of the command's
	// process tree, per run.
	cpu []time.Duration
	err error
	// trace collects URUN_TRACE lines, by phase, of a traced row.
	traced bool
	phases map[string][]float64
	order  map[string]float64
	values map[string][]float64
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	n := flag.Int("n", 30, "runs per command")
	seqN := flag.Int("seq-n", 3, "samples of a NAME*K row (each is K runs)")
	uid := flag.Int("uid", -1, "run the commands as this uid (when started as root)")
	gid := flag.Int("gid", -1, "and this gid")
	base := flag.String("base", "", "name of the baseline command for the ratio column")
	rss := flag.String("rss", "", "command (urun ... sleep 1) whose parent's peak RSS to sample")
	reap := flag.Bool("reap", false, "adopt the processes a command leaves running (a child subreaper) and wait for them after each run: "+
		"cpu/run then counts them too (bwrap's outer process exits before its sandbox's last one); not for rows that must leave processes behind")
	var targets, traces listFlag
	flag.Var(&targets, "target", "A/B<=X@min or @median: row A's time at most X times row B's (repeatable)")
	flag.Var(&traces, "trace", "name of a urun row to run with URUN_TRACE: prints its median timeline (repeatable)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: bench [flags] NAME='cmd args...' NAME*K='cmd' ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	var cred *syscall.Credential
	if *uid >= 0 {
		cred = &syscall.Credential{Uid: uint32(*uid), Gid: uint32(*gid), Groups: []uint32{}}
	}
	if *reap {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			fmt.Fprintf(os.Stderr, "bench: -reap: %v\n", err)
			os.Exit(2)
		}
		reapOrphans = true
	}
	var rows []*row
	for _, a := range flag.Args() {
		name, cmdline, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "bench: %q: want NAME=COMMAND\n", a)
			os.Exit(2)
		}
		r := &row{name: name, args: strings.Fields(cmdline), times: 1}
		if nm, k, ok := strings.Cut(name, "*"); ok {
			r.name = nm
			if r.times, _ = strconv.Atoi(k); r.times < 1 {
				r.times = 1
			}
		}
		for _, t := range traces {
			r.traced = r.traced || t == r.name
		}
		r.phases, r.order, r.values = map[string][]float64{}, map[string]float64{}, map[string][]float64{}
		r.err = warmUp(r.args, cred)
		waitOrphans()
		rows = append(rows, r)
	}
	for i := 0; i < *n; i++ {
		for _, r := range rows {
			if r.err != nil || (r.times > 1 && i >= *seqN) {
				continue
			}
			d, cpu, timed, err := r.runOnce(cred, i)
			if r.err = err; timed {
				r.d = append(r.d, d)
				r.cpu = append(r.cpu, cpu)
			}
		}
	}
	byName := map[string]*row{}
	for _, r := range rows {
		sort.Slice(r.d, func(i, j int) bool { return r.d[i] < r.d[j] })
		sort.Slice(r.cpu, func(i, j int) bool { return r.cpu[i] < r.cpu[j] })
		byName[r.name] = r
	}
	var baseline *row
	if b := byName[*base]; b != nil && b.err == nil {
		baseline = b
	}
	fmt.Printf("%-12s %12s %12s %14s %14s %12s\n", "runtime", "median", "min", "median ratio", "min ratio", "cpu/run")
	for _, r := range rows {
		if r.err != nil {
			fmt.Printf("%-12s %s\n", r.name, r.err)
			continue
		}
		mr, nr := "-", "-"
		if baseline != nil {
			mr = fmt.Sprintf("%.2fx", float64(r.median())/float64(baseline.median()))
			nr = fmt.Sprintf("%.2fx", float64(r.min())/float64(baseline.min()))
		}
		unit := ""
		if r.times > 1 {
			unit = fmt.Sprintf(" (%d runs)", r.times)
		}
		fmt.Printf("%-12s %10.2fms %10.2fms %14s %14s %10.2fms%s\n", r.name, ms(r.median()), ms(r.min()), mr, nr, ms(r.cpu[len(r.cpu)/2]), unit)
	}
	fmt.Printf("(%d samples each (%d of a row of K runs), interleaved; wall time from fork to exit;\n", *n, min(*n, *seqN))
	fmt.Printf(" cpu/run: median user+system time of the whole process tree, one run)\n")
	if len(targets) > 0 {
		fmt.Println()
		fmt.Printf("%-28s %10s %10s %s\n", "target", "measured", "limit", "held")
	}
	for _, t := range targets {
		printTarget(t, byName)
	}
	for _, r := range rows {
		if r.traced && r.err == nil {
			r.printTimeline()
		}
	}
	if *rss != "" {
		hwm, err := peakRSS(strings.Fields(*rss), cred)
		if err != nil {
			fmt.Printf("peak RSS of the urun parent: %v\n", err)
		} else {
			fmt.Printf("peak RSS of the urun parent while a container runs: %d KiB\n", hwm)
		}
	}
}

func (r *row) median() time.Duration { return r.d[len(r.d)/2] }
func (r *row) min() time.Duration    { return r.d[0] }

// printTarget prints a target A/B<=X@min|median and whether it holds.
func printTarget(t string, rows map[string]*row) {
	spec, how, _ := strings.Cut(t, "@")
	pair, limS, ok := strings.Cut(spec, "<=")
	a, b, ok2 := strings.Cut(pair, "/")
	lim, err := strconv.ParseFloat(limS, 64)
	ra, rb := rows[a], rows[b]
	if !ok || !ok2 || err != nil || ra == nil || rb == nil || ra.err != nil || rb.err != nil {
		fmt.Printf("%-28s not measured\n", t)
		return
	}
	var x float64
	if how == "median" {
		x = float64(ra.median()) / float64(rb.median())
	} else {
		how = "min"
		x = float64(ra.min()) / float64(rb.min())
	}
	held := "no"
	if x <= lim {
		held = "yes"
	}
	fmt.Printf("%-28s %9.2fx %9.2fx %s\n", a+"/"+b+" ("+how+")", x, lim, held)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func command(args []string, cred *syscall.Credential) *exec.Cmd {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/tmp"}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return cmd
}

// warmUp runs args once, which also surfaces a broken set-up.
func warmUp(args []string, cred *syscall.Credential) error {
	if _, err := exec.LookPath(args[0]); err != nil {
		return fmt.Errorf("not available: %v", err)
	}
	if out, err := command(args, cred).CombinedOutput(); err != nil {
		return fmt.Errorf("fails: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// runOnce runs one sample and returns its wall time and its CPU time per
// run; a traced sample is an extra run that is not timed, so that the table
// never includes the trace's cost.
func (r *row) runOnce(cred *syscall.Credential, i int) (time.Duration, time.Duration, bool, error) {
	if r.traced && i%3 == 0 {
		cmd := command(r.args, cred)
		var errb bytes.Buffer
		cmd.Env = append(cmd.Env, "URUN_TRACE="+strconv.FormatInt(monotonic(), 10))
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			return 0, 0, false, fmt.Errorf("traced run %d fails: %v", i, err)
		}
		r.addTrace(errb.String())
		waitOrphans()
	}
	// The rusage of the processes this one has reaped: that of a reaped
	// process includes that of every descendant it reaped (urun's stage,
	// helpers and command; crun's children), and with -reap the
	// processes a command left running are reaped here too.
	cpu0 := childrenCPU()
	var wall time.Duration
	for k := 0; k < r.times; k++ {
		t0 := time.Now()
		if err := command(r.args, cred).Run(); err != nil {
			return 0, 0, false, fmt.Errorf("run %d fails: %v", i, err)
		}
		wall += time.Since(t0)
		waitOrphans()
	}
	return wall, (childrenCPU() - cpu0) / time.Duration(r.times), true, nil
}

// reapOrphans: this process is a child subreaper (-reap).
var reapOrphans bool

// waitOrphans waits for every process the last command left running, when
// this process adopts them (-reap).
func waitOrphans() {
	for reapOrphans {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(-1, &ws, 0, nil); err != unix.EINTR && err != nil {
			return // ECHILD: none left
		}
	}
}

// childrenCPU is the user and system time of every process reaped so far.
func childrenCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func monotonic() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// addTrace takes one run's URUN_TRACE lines:
// "urun-trace: T ms +D  WHO what".
func (r *row) addTrace(out string) {
	sc := bufio.NewScanner(strings.NewReader(out))
	seen := map[string]int{}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[0] != "urun-trace:" || f[2] != "ms" {
			continue
		}
		t, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		what := strings.Join(f[5:], " ")
		if i := strings.Index(what, " ("); i > 0 {
			what = what[:i]
		}
		key := fmt.Sprintf("%-5s %s", f[4], what)
		if name, v, ok := strings.Cut(key, " = "); ok {
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				r.values[name] = append(r.values[name], x)
			}
			continue
		}
		// A phase seen twice in one run (two mounts of one type) keeps
		// both, numbered.
		if seen[key]++; seen[key] > 1 {
			key += fmt.Sprintf(" #%d", seen[key])
		}
		r.phases[key] = append(r.phases[key], t)
	}
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func (r *row) printTimeline() {
	type ph struct {
		key string
		t   float64
	}
	var ps []ph
	for k, v := range r.phases {
		ps = append(ps, ph{k, median(v)})
	}
	if len(ps) == 0 {
		return
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].t < ps[j].t })
	fmt.Printf("\n== median timeline of %q (URUN_TRACE, %d traced runs; ms from the fork of urun)\n", r.name, len(r.phases[ps[0].key]))
	prev := 0.0
	for _, p := range ps {
		fmt.Printf("%9.3f %+8.3f  %s\n", p.t, p.t-prev, p.key)
		prev = p.t
	}
	for k, v := range r.values {
		fmt.Printf("median %s: %.0f\n", strings.Join(strings.Fields(k), " "), median(v))
	}
}

// peakRSS starts args and reads VmHWM of the process halfway through its run.
func peakRSS(args []string, cred *syscall.Credential) (int, error) {
	cmd := command(args, cred)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer cmd.Wait()
	time.Sleep(500 * time.Millisecond)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strconv.Atoi(strings.Fields(v)[0])
		}
	}
	return 0, fmt.Errorf("no VmHWM")
}
