package monitor

import (
	"fmt"
	"strings"
)

// DefaultDetachKeys is docker's and podman's.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ParseDetachKeys parses docker's --detach-keys spelling: a comma-separated
// sequence of single characters and ctrl-X, where X is a letter or one of
// @ [ \ ] ^ _. "" means no detach keys at all.
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	var out []byte
	for _, k := range strings.Split(s, ",") {
		lk := strings.ToLower(k)
		switch {
		case len(k) == 1:
			out = append(out, k[0])
		case strings.HasPrefix(lk, "ctrl-") && len(k) == 6:
			c := lk[5]
			switch {
			case c >= 'a' && c <= 'z':
				out = append(out, c-'a'+1)
			case c == '@':
				out = append(out, 0)
			case c >= '[' && c <= '_':
				out = append(out, c-'['+27)
			default:
				return nil, badKeys(s, k)
			}
		default:
			return nil, badKeys(s, k)
		}
	}
	return out, nil
}

func badKeys(s, k string) error {
	return fmt.Errorf("invalid --detach-keys %q (at %q): use a comma-separated list of single characters and ctrl-<a-z, @, [, \\, ], ^ or _>, such as %q", s, k, DefaultDetachKeys)
}

// DetachMatcher finds the detach sequence in a stream of input, holding back
// bytes that may be its start (containers/common's CopyDetachable idea, but
// across reads: a person types the keys one at a time).
type DetachMatcher struct {
	Keys    []byte
	matched int
}

// Feed returns the bytes to pass on and whether the sequence was completed
// (then the bytes before it are passed on and the rest dropped).
func (d *DetachMatcher) Feed(b []byte) (out []byte, detach bool) {
	if len(d.Keys) == 0 {
		return b, false
	}
	for _, c := range b {
		if c == d.Keys[d.matched] {
			d.matched++
			if d.matched == len(d.Keys) {
				d.matched = 0
				return out, true
			}
			continue
		}
		// Not the sequence after all: what was held back goes on, and c
		// may start a new attempt.
		out = append(out, d.Keys[:d.matched]...)
		d.matched = 0
		if c == d.Keys[0] {
			d.matched = 1
			if len(d.Keys) == 1 {
				return out, true
			}
			continue
		}
		out = append(out, c)
	}
	return out, false
}
