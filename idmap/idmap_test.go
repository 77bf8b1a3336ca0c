package idmap

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSubIDs(t *testing.T) {
	in := `# comment
alice:100000:65536

1001:200000:1000
  bob : 300000 : 10
alice:500000:5
`
	got, err := ParseSubIDs("/etc/subuid", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"alice", Range{100000, 65536}}, {"1001", Range{200000, 1000}},
		{"bob", Range{300000, 10}}, {"alice", Range{500000, 5}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	r := RangesFor(got, "alice", 1001)
	if len(r) != 3 || r[0].Start != 100000 || r[1].Start != 200000 || r[2].Start != 500000 {
		t.Fatalf("RangesFor alice/1001 = %v", r)
	}
	if r := RangesFor(got, "", 1001); len(r) != 1 {
		t.Fatalf("RangesFor by id only = %v", r)
	}
}

func TestParseSubIDsErrors(t *testing.T) {
	for _, in := range []string{
		"alice:100000",
		"alice:100000:65536:1",
		":1:1",
		"alice:x:1",
		"alice:1:-1",
		"alice:1:0",
		"alice:4294967295:2",
		"alice:99999999999:1",
	} {
		_, err := ParseSubIDs("/etc/subuid", strings.NewReader("ok:1:1\n"+in+"\n"))
		if err == nil {
			t.Errorf("%q: no error", in)
			continue
		}
		if !strings.HasPrefix(err.Error(), "/etc/subuid:2: ") {
			t.Errorf("%q: error %q does not name file:line", in, err)
		}
	}
}

func TestPlan(t *testing.T) {
	cases := []struct {
		name   string
		ranges []Range
		want   []Mapping
	}{
		{"none", nil, []Mapping{{0, 1000, 1}}},
		{"one", []Range{{100000, 65536}}, []Mapping{{0, 1000, 1}, {1, 100000, 65536}}},
		{"two laid end to end", []Range{{100000, 10}, {200000, 5}},
			[]Mapping{{0, 1000, 1}, {1, 100000, 10}, {11, 200000, 5}}},
		{"range holding own id skipped", []Range{{900, 200}, {100000, 10}},
			[]Mapping{{0, 1000, 1}, {1, 100000, 10}}},
		{"overlap skipped", []Range{{100000, 10}, {100005, 10}},
			[]Mapping{{0, 1000, 1}, {1, 100000, 10}}},
	}
	for _, c := range cases {
		if got := Plan(1000, c.ranges); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if got := Format(Plan(1000, []Range{{100000, 65536}})); got != "0 1000 1\n1 100000 65536\n" {
		t.Errorf("Format = %q", got)
	}
}

func TestPlanLineLimit(t *testing.T) {
	var rs []Range
	for i := 0; i < 500; i++ {
		rs = append(rs, Range{uint32(100000 + i*10), 10})
	}
	if got := Plan(1000, rs); len(got) != maxLines {
		t.Fatalf("%d lines, want the kernel's limit %d", len(got), maxLines)
	}
}

func FuzzParseSubIDs(f *testing.F) {
	f.Add("alice:100000:65536\n# c\n1000:1:2\n")
	f.Add("x:4294967294:1")
	f.Add("::\n")
	f.Fuzz(func(t *testing.T, in string) {
		entries, err := ParseSubIDs("f", strings.NewReader(in))
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Count == 0 || uint64(e.Start)+uint64(e.Count)-1 > maxID || e.Owner == "" {
				t.Fatalf("accepted a bad entry %+v", e)
			}
		}
		var rs []Range
		for _, e := range entries {
			rs = append(rs, e.Range)
		}
		m := Plan(1000, rs)
		// The planned map must never map one host id twice or pass the limit.
		for i, a := range m {
			for _, b := range m[i+1:] {
				if uint64(a.HostID) < uint64(b.HostID)+uint64(b.Size) && uint64(b.HostID) < uint64(a.HostID)+uint64(a.Size) {
					t.Fatalf("overlapping host ranges %v %v", a, b)
				}
			}
		}
		if len(m) > maxLines {
			t.Fatalf("%d lines", len(m))
		}
	})
}
