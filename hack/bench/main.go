// Command bench times container start-up: each named command runs N times and
// the table shows the median wall time and its ratio to a baseline. It also
// samples the peak RSS of the urun parent while a container runs. Run it with
// hack/bench.sh, which installs the peers and prepares the test user.
//
// A command may be several steps joined by " && " (an OCI runtime's create,
// start and delete): they run one after the other and are timed as one. With
// -interleave, run i of every command comes before run i+1 of any, so that a
// machine that slows down (other jobs on 2 cores) slows every runtime alike.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 30, "runs per command")
	uid := flag.Int("uid", -1, "run the commands as this uid (when started as root)")
	gid := flag.Int("gid", -1, "and this gid")
	base := flag.String("base", "", "name of the baseline command for the ratio column")
	rss := flag.String("rss", "", "command (urun ... sleep 1) whose parent's peak RSS to sample")
	interleave := flag.Bool("interleave", false, "take the runs of all commands in turn instead of one command after the other")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: bench [flags] NAME='cmd args...' ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	var cred *syscall.Credential
	if *uid >= 0 {
		cred = &syscall.Credential{Uid: uint32(*uid), Gid: uint32(*gid), Groups: []uint32{}}
	}
	type row struct {
		name   string
		median time.Duration
		min    time.Duration
		err    error
	}
	var rows []row
	var cmds [][][]string
	for _, a := range flag.Args() {
		name, cmdline, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "bench: %q: want NAME=COMMAND\n", a)
			os.Exit(2)
		}
		rows = append(rows, row{name: name})
		cmds = append(cmds, steps(cmdline))
	}
	if *interleave {
		d := make([][]time.Duration, len(rows))
		for i := range rows {
			rows[i].err = warmUp(cmds[i], cred)
		}
		for run := 0; run < *n; run++ {
			for i := range rows {
				if rows[i].err != nil {
					continue
				}
				t, err := timeOnce(cmds[i], cred)
				if err != nil {
					rows[i].err = fmt.Errorf("run %d fails: %v", run, err)
					continue
				}
				d[i] = append(d[i], t)
			}
		}
		for i := range rows {
			if rows[i].err == nil {
				sort.Slice(d[i], func(a, b int) bool { return d[i][a] < d[i][b] })
				rows[i].median, rows[i].min = d[i][len(d[i])/2], d[i][0]
			}
		}
	} else {
		for i := range rows {
			d, err := timeRuns(cmds[i], *n, cred)
			rows[i].err = err
			if err == nil {
				rows[i].median, rows[i].min = d[len(d)/2], d[0]
			}
		}
	}
	var baseline time.Duration
	for _, r := range rows {
		if r.name == *base && r.err == nil {
			baseline = r.median
		}
	}
	fmt.Printf("%-10s %12s %12s %10s\n", "runtime", "median", "min", "ratio")
	for _, r := range rows {
		if r.err != nil {
			fmt.Printf("%-10s %s\n", r.name, r.err)
			continue
		}
		ratio := "-"
		if baseline > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(r.median)/float64(baseline))
		}
		fmt.Printf("%-10s %10.2fms %10.2fms %10s\n", r.name, ms(r.median), ms(r.min), ratio)
	}
	fmt.Printf("(%d runs each, wall time from fork to exit)\n", *n)
	if *rss != "" {
		hwm, err := peakRSS(strings.Fields(*rss), cred)
		if err != nil {
			fmt.Printf("peak RSS of the urun parent: %v\n", err)
		} else {
			fmt.Printf("peak RSS of the urun parent while a container runs: %d KiB\n", hwm)
		}
	}
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

// steps splits a command line into its " && "-joined steps, each split into
// words.
func steps(cmdline string) [][]string {
	var out [][]string
	for _, s := range strings.Split(cmdline, " && ") {
		if f := strings.Fields(s); len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// warmUp runs the steps once untimed, which also surfaces a broken set-up.
func warmUp(steps [][]string, cred *syscall.Credential) error {
	for _, args := range steps {
		if _, err := exec.LookPath(args[0]); err != nil {
			return fmt.Errorf("not available: %v", err)
		}
		if out, err := runCapture(args, cred); err != nil {
			return fmt.Errorf("fails: %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out))
		}
	}
	return nil
}

// runCapture runs args with its output in a file, not a pipe: an OCI
// runtime's create hands its stdio to the container, which holds a pipe open
// until it is started, so waiting for the pipe's end would never return.
func runCapture(args []string, cred *syscall.Credential) (string, error) {
	f, err := os.CreateTemp("", "bench-out")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := command(args, cred)
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	b, _ := os.ReadFile(f.Name())
	return string(b), err
}

// timeOnce runs the steps one after the other and returns their wall time.
func timeOnce(steps [][]string, cred *syscall.Credential) (time.Duration, error) {
	t0 := time.Now()
	for _, args := range steps {
		if err := command(args, cred).Run(); err != nil {
			return 0, fmt.Errorf("%s: %v", args[0], err)
		}
	}
	return time.Since(t0), nil
}

func timeRuns(steps [][]string, n int, cred *syscall.Credential) ([]time.Duration, error) {
	if err := warmUp(steps, cred); err != nil {
		return nil, err
	}
	d := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t, err := timeOnce(steps, cred)
		if err != nil {
			return nil, fmt.Errorf("run %d fails: %v", i, err)
		}
		d = append(d, t)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d, nil
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
