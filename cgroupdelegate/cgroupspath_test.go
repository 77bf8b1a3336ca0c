package cgroupdelegate

import (
	"strings"
	"testing"
)

func TestParseSystemdPath(t *testing.T) {
	for _, tc := range []struct{ in, slice, unit, err string }{
		{in: "machine.slice:libpod:abc", slice: "machine.slice", unit: "libpod-abc.scope"},
		{in: ":cri-containerd:abc", unit: "cri-containerd-abc.scope"},
		{in: "user.slice::abc.scope", slice: "user.slice", unit: "abc.scope"},
		{in: "/a/b", err: "not slice:prefix:name"},
		{in: "foo:p:n", err: "not a slice name"},
		{in: "a.slice:p:", err: "name is empty"},
		{in: "a.slice:p:n.slice", err: "is a slice"},
		{in: "a.slice:p:x/y", err: "slash"},
	} {
		slice, unit, err := ParseSystemdPath(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || slice != tc.slice || unit != tc.unit {
			t.Errorf("%q = %q, %q, %v; want %q, %q", tc.in, slice, unit, err, tc.slice, tc.unit)
		}
	}
}

func FuzzParseSystemdPath(f *testing.F) {
	for _, s := range []string{"machine.slice:libpod:abc", ":p:n", "a:b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slice, unit, err := ParseSystemdPath(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("message has a newline: %q", err)
			}
			return
		}
		if !strings.HasSuffix(unit, ".scope") || strings.ContainsAny(unit+slice, "/ \n") {
			t.Fatalf("%q gave %q %q", s, slice, unit)
		}
	})
}
