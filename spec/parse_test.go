package spec

import (
	"reflect"
	"strings"
	"testing"
)

func lookup(k string) (string, bool) {
	if k == "HOSTVAR" {
		return "fromhost", true
	}
	return "", false
}

func TestParseEnv(t *testing.T) {
	got, err := ParseEnv([]string{"A=1", "B=x=y", "C=", "HOSTVAR", "MISSING", "D=a,b"}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=1", "B=x=y", "C=", "HOSTVAR=fromhost", "D=a,b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"=x", "", "A B=1", "A\x00=1", "A=\x00"} {
		if _, err := ParseEnv([]string{bad}, lookup); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	got := MergeEnv([]string{"PATH=/bin", "HOME=/root"}, []string{"HOME=/x", "A=1"})
	if want := []string{"PATH=/bin", "HOME=/x", "A=1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}

func TestParseHostname(t *testing.T) {
	for _, ok := range []string{"box", "a-b.example", "x1", strings.Repeat("a", 63)} {
		if _, err := ParseHostname(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a_b", "-a", "a-", "a..b", "a b", strings.Repeat("a", 65), "ä"} {
		if _, err := ParseHostname(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseWorkdir(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/tmp/": "/tmp", "/a/../../b": "/b"} {
		if got, err := ParseWorkdir(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"tmp", "./x", "/a\x00"} {
		if _, err := ParseWorkdir(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseEnv(f *testing.F) {
	f.Add("A=1")
	f.Add("HOSTVAR")
	f.Add("=")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := ParseEnv([]string{in}, lookup)
		if err != nil {
			return
		}
		for _, e := range out {
			k, _, ok := strings.Cut(e, "=")
			if !ok || k == "" || strings.ContainsAny(e, "\x00") || strings.ContainsAny(k, " \t\r\n") {
				t.Fatalf("%q -> bad entry %q", in, e)
			}
		}
	})
}

func FuzzParseHostname(f *testing.F) {
	f.Add("box.example")
	f.Add("-x")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseHostname(in)
		if err != nil {
			return
		}
		if len(h) == 0 || len(h) > 64 || strings.ContainsAny(h, " /\x00_") {
			t.Fatalf("accepted %q", h)
		}
	})
}

func FuzzParseWorkdir(f *testing.F) {
	f.Add("/tmp")
	f.Add("/../..")
	f.Fuzz(func(t *testing.T, in string) {
		w, err := ParseWorkdir(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(w, "/") || strings.Contains(w, "..") && w != "/" && strings.Contains("/"+w+"/", "/../") {
			t.Fatalf("%q -> %q escapes", in, w)
		}
	})
}
