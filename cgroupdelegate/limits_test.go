package cgroupdelegate

import (
	"math"
	"regexp"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100M", 100 << 20, true},
		{"100m", 100 << 20, true},
		{"1g", 1 << 30, true},
		{"1G", 1 << 30, true},
		{"1GiB", 1 << 30, true},
		{"1gb", 1 << 30, true},
		{"512k", 512 << 10, true},
		{"1.5g", 3 << 29, true},
		{"4096", 4096, true},
		{"4096b", 4096, true},
		{"0", 0, true},
		{"", 0, false},
		{"abc", 0, false},
		{"-1", 0, false},
		{"-100M", 0, false},
		{"100x", 0, false},
		{"100MM", 0, false},
		{" 100M", 0, false},
		{"100M ", 0, false},
		{"1e300g", 0, false},
		{"99999999999999999999999", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSize(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && got != tc.want {
			t.Errorf("ParseSize(%q) = %d, want %d", tc.in, got, tc.want)
		}
		if !tc.ok && !strings.Contains(err.Error(), "100M") {
			t.Errorf("ParseSize(%q) error %q does not show an example", tc.in, err)
		}
	}
}

func TestParseSwap(t *testing.T) {
	if n, err := ParseSwap("-1"); err != nil || n != -1 {
		t.Errorf("ParseSwap(-1) = %d, %v; want -1, nil", n, err)
	}
	if n, err := ParseSwap("200M"); err != nil || n != 200<<20 {
		t.Errorf("ParseSwap(200M) = %d, %v", n, err)
	}
	if _, err := ParseSwap("-2"); err == nil {
		t.Error("ParseSwap(-2) succeeded")
	}
}

func TestParseCPUs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0.5", 0.5, true},
		{"2", 2, true},
		{"1.25", 1.25, true},
		{".5", 0.5, true},
		{"1.", 1, true},
		{"0", 0, true},
		{"0.01", 0.01, true},
		{"0.001", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{"0x1p-2", 0, false},
		{"Inf", 0, false},
		{"NaN", 0, false},
		{"1,5", 0, false},
		{"half", 0, false},
		{strings.Repeat("9", 400), 0, false},
	} {
		got, err := ParseCPUs(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseCPUs(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && got != tc.want {
			t.Errorf("ParseCPUs(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[int64]string{
		100 << 20: "100M", 1 << 30: "1G", 512 << 10: "512K", 3 << 29: "1536M",
		4097: "4097", 0: "0", 2 << 40: "2T",
	} {
		if got := FormatSize(in); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    Limits
		ok   bool
	}{
		{"none", Limits{}, true},
		{"memory", Limits{MemoryMax: 64 << 20}, true},
		{"tiny memory", Limits{MemoryMax: 1 << 20}, false},
		{"swap without memory", Limits{MemorySwap: 128 << 20}, false},
		{"swap below memory", Limits{MemoryMax: 128 << 20, MemorySwap: 64 << 20}, false},
		{"swap equal memory", Limits{MemoryMax: 128 << 20, MemorySwap: 128 << 20}, true},
		{"unlimited swap", Limits{MemoryMax: 128 << 20, MemorySwap: -1}, true},
		{"bad swap", Limits{MemorySwap: -2}, false},
		{"half cpu", Limits{CPUs: 0.5}, true},
		{"too many cpus", Limits{CPUs: 1e6}, false},
		{"nan cpus", Limits{CPUs: math.NaN()}, false},
		{"negative pids", Limits{PidsMax: -5}, false},
		{"pids", Limits{PidsMax: 20}, true},
		{"no pids limit", Limits{PidsMax: -1}, true},
	} {
		err := tc.l.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestSwapMaxAndQuota(t *testing.T) {
	for _, tc := range []struct {
		l    Limits
		want uint64
		set  bool
	}{
		{Limits{}, 0, false},
		{Limits{MemoryMax: 100}, 100, true},
		{Limits{MemoryMax: 100, MemorySwap: 100}, 0, true},
		{Limits{MemoryMax: 100, MemorySwap: 300}, 200, true},
		{Limits{MemoryMax: 100, MemorySwap: -1}, math.MaxUint64, true},
	} {
		got, set := tc.l.swapMax()
		if got != tc.want || set != tc.set {
			t.Errorf("%+v.swapMax() = %d, %v; want %d, %v", tc.l, got, set, tc.want, tc.set)
		}
	}
	if q := (Limits{CPUs: 0.5}).cpuQuotaPerSec(); q != 500000 {
		t.Errorf("cpuQuotaPerSec(0.5) = %d, want 500000", q)
	}
	if !(Limits{PidsMax: 1}).Any() || (Limits{}).Any() || (Limits{PidsMax: -1}).Any() {
		t.Error("Any() is wrong")
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"100M", "1g", "0", "1.5GiB", "-1", "1e300g", "abc", " 1k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("ParseSize(%q) returned %d with an error", s, n)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseSize(%q) error has several lines: %q", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
	})
}

func FuzzParseCPUs(f *testing.F) {
	for _, s := range []string{"0.5", "2", "0", ".5", "1e3", "NaN", "-1", "0.001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCPUs(s)
		if err != nil {
			if c != 0 {
				t.Fatalf("ParseCPUs(%q) returned %v with an error", s, c)
			}
			return
		}
		if math.IsNaN(c) || math.IsInf(c, 0) || c < 0 || (c > 0 && c < MinCPUs) {
			t.Fatalf("ParseCPUs(%q) = %v, out of range", s, c)
		}
		if q := (Limits{CPUs: c}).cpuQuotaPerSec(); c > 0 && q == 0 {
			t.Fatalf("ParseCPUs(%q) = %v gives a zero quota", s, c)
		}
	})
}

// plainDecimal agrees with the regular expression it replaced.
func FuzzPlainDecimalAgreesWithItsRule(f *testing.F) {
	rule := regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	for _, s := range []string{"0.5", "2", "0", ".5", "5.", ".", "", "1.2.3", "..5", "1e3", "-1", "+1", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := plainDecimal(s), rule.MatchString(s); got != want {
			t.Fatalf("plainDecimal(%q) = %v, the rule says %v", s, got, want)
		}
	})
}
