package cgroupdelegate

import "testing"

func TestResourcesRoundTrip(t *testing.T) {
	for _, l := range []Limits{
		{},
		{MemoryMax: 64 << 20},
		{MemoryMax: 64 << 20, MemorySwap: -1},
		{MemoryMax: 64 << 20, MemorySwap: 128 << 20, CPUs: 0.5, PidsMax: 20},
		{CPUs: 1.75},
		{CPUs: 0.01},
		{PidsMax: 1},
		{PidsMax: -1},
	} {
		r := l.Resources()
		if (r == nil) != (!l.Any() && l.PidsMax == 0) {
			t.Errorf("%+v: resources %v", l, r)
		}
		if got := LimitsFromSpec(r); got != l {
			t.Errorf("round trip of %+v gave %+v", l, got)
		}
	}
	if r := (Limits{CPUs: 0.5}).Resources(); *r.CPU.Quota != 50000 || *r.CPU.Period != 100000 {
		t.Errorf("0.5 CPUs as quota %d / period %d, want 50000/100000", *r.CPU.Quota, *r.CPU.Period)
	}
}
