package cgroupdelegate

import (
	"math"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cpuPeriod is the period the CPU limit is expressed over in the OCI spec
// (cpu.max's default, 100 ms).
const cpuPeriod = 100000

// Resources renders the limits as the OCI spec's resources, the form in which
// the runtime carries them (nil when there are none). OCI's memory.swap is,
// like docker's --memory-swap, memory plus swap.
func (l Limits) Resources() *specs.LinuxResources {
	if !l.Any() && l.PidsMax == 0 {
		return nil
	}
	r := &specs.LinuxResources{}
	if l.MemoryMax != 0 || l.MemorySwap != 0 {
		r.Memory = &specs.LinuxMemory{}
		if l.MemoryMax != 0 {
			r.Memory.Limit = ptr(l.MemoryMax)
		}
		if l.MemorySwap != 0 {
			r.Memory.Swap = ptr(l.MemorySwap)
		}
	}
	if l.CPUs > 0 {
		r.CPU = &specs.LinuxCPU{Quota: ptr(int64(math.Round(l.CPUs * cpuPeriod))), Period: ptr(uint64(cpuPeriod))}
	}
	if l.PidsMax != 0 {
		r.Pids = &specs.LinuxPids{Limit: ptr(l.PidsMax)}
	}
	return r
}

// LimitsFromSpec reads the limits back from the OCI spec's resources.
func LimitsFromSpec(r *specs.LinuxResources) Limits {
	var l Limits
	if r == nil {
		return l
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			l.MemoryMax = *m.Limit
		}
		if m.Swap != nil {
			l.MemorySwap = *m.Swap
		}
	}
	if c := r.CPU; c != nil && c.Quota != nil && *c.Quota > 0 {
		period := uint64(cpuPeriod)
		if c.Period != nil && *c.Period > 0 {
			period = *c.Period
		}
		l.CPUs = float64(*c.Quota) / float64(period)
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		l.PidsMax = *p.Limit
	}
	return l
}

func ptr[T any](v T) *T { return &v }
