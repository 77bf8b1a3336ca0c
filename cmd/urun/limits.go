package main

import (
	"fmt"

	"github.com/urun-dev/urun/cgroupdelegate"
)

// LimitFlags are the resource limits, which the delegated cgroup scope
// enforces.
type LimitFlags struct {
	Memory     string `short:"m" aliases:"mem" help:"Memory limit: a size like 100M or 1g (needs cgroup v2 and a systemd user manager)." placeholder:"SIZE"`
	MemorySwap string `name:"memory-swap" help:"Memory plus swap limit (docker's meaning): a size, or -1 for unlimited swap; default: swap as large as --memory." placeholder:"SIZE"`
	CPUs       string `name:"cpus" aliases:"cpu" help:"CPU limit in CPUs: 0.5 is half of one CPU, 2 is two CPUs." placeholder:"N"`
	PidsLimit  int64  `name:"pids-limit" help:"Maximum number of processes and threads in the container (default 2048, as podman, when the container gets a cgroup scope anyway; -1 for no limit)." placeholder:"N"`
}

// limitsOptions are the parsed limits.
type limitsOptions = cgroupdelegate.Limits

// apply parses and checks the resource limit flags.
func (f *LimitFlags) apply(o *runOptions) error {
	var err error
	l := &o.limits
	if f.Memory != "" {
		if l.MemoryMax, err = cgroupdelegate.ParseSize(f.Memory); err != nil {
			return fmt.Errorf("--memory: %w", err)
		}
	}
	if f.MemorySwap != "" {
		if l.MemorySwap, err = cgroupdelegate.ParseSwap(f.MemorySwap); err != nil {
			return fmt.Errorf("--memory-swap: %w", err)
		}
	}
	if f.CPUs != "" {
		if l.CPUs, err = cgroupdelegate.ParseCPUs(f.CPUs); err != nil {
			return fmt.Errorf("--cpus: %w", err)
		}
	}
	l.PidsMax = f.PidsLimit
	return l.Validate()
}
