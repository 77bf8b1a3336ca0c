package monitor

import (
	"bytes"
	"testing"
)

func TestParseDetachKeys(t *testing.T) {
	for in, want := range map[string][]byte{
		"ctrl-p,ctrl-q": {16, 17}, "a,b": {'a', 'b'}, "ctrl-@": {0}, "ctrl-[": {27}, "ctrl-_": {31}, "Ctrl-A": {1}, "": nil,
	} {
		got, err := ParseDetachKeys(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q -> %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"ctrl-", "ctrl-1", "ab", ",", "ctrl-p,", "shift-a"} {
		if _, err := ParseDetachKeys(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestDetachMatcher(t *testing.T) {
	d := &DetachMatcher{Keys: []byte{16, 17}}
	out, det := d.Feed([]byte("ab\x10"))
	if string(out) != "ab" || det {
		t.Fatalf("%q %v", out, det)
	}
	out, det = d.Feed([]byte("x"))
	if string(out) != "\x10x" || det {
		t.Fatalf("held byte not passed on: %q %v", out, det)
	}
	d.Feed([]byte{16})
	if out, det = d.Feed([]byte{17, 'z'}); !det || len(out) != 0 {
		t.Fatalf("sequence across reads: %q %v", out, det)
	}
	if out, det = d.Feed([]byte{16, 16, 17}); !det || !bytes.Equal(out, []byte{16}) {
		t.Fatalf("repeated first key: %q %v", out, det)
	}
}

func FuzzParseDetachKeys(f *testing.F) {
	f.Add("ctrl-p,ctrl-q")
	f.Add("a,ctrl-[")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParseDetachKeys(s)
		if err != nil {
			return
		}
		if s != "" && len(keys) == 0 {
			t.Fatalf("%q parsed to no keys", s)
		}
		d := &DetachMatcher{Keys: keys}
		if _, det := d.Feed(append([]byte("x"), keys...)); len(keys) > 0 && !det {
			t.Fatalf("%q: its own sequence does not detach", s)
		}
	})
}
