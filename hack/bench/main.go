// Command bench times container start-up: each named command runs N times and
// the table shows the median wall time and its ratio to a baseline. It also
// samples the peak RSS of the urun parent while a container runs. Run it with
// hack/bench.sh, which installs the peers and prepares the test user.
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
	for _, a := range flag.Args() {
		name, cmdline, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "bench: %q: want NAME=COMMAND\n", a)
			os.Exit(2)
		}
		d, err := timeRuns(strings.Fields(cmdline), *n, cred)
		r := row{name: name, err: err}
		if err == nil {
			r.median, r.min = d[len(d)/2], d[0]
		}
		rows = append(rows, r)
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

func timeRuns(args []string, n int, cred *syscall.Credential) ([]time.Duration, error) {
	if _, err := exec.LookPath(args[0]); err != nil {
		return nil, fmt.Errorf("not available: %v", err)
	}
	// One warm-up run, which also surfaces a broken set-up.
	if out, err := command(args, cred).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("fails: %v: %s", err, strings.TrimSpace(string(out)))
	}
	d := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if err := command(args, cred).Run(); err != nil {
			return nil, fmt.Errorf("run %d fails: %v", i, err)
		}
		d = append(d, time.Since(t0))
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
