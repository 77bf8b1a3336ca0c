package spec

import (
	"fmt"
	"path"
	"strings"
)

// ParseEnv turns -e values into KEY=VALUE entries. "KEY" alone takes the
// value from lookup (the host environment), as docker does, and is dropped when
// the host has no such variable.
func ParseEnv(values []string, lookup func(string) (string, bool)) ([]string, error) {
	var out []string
	for _, v := range values {
		key, val, hasVal := strings.Cut(v, "=")
		if err := checkEnvKey(key); err != nil {
			return nil, fmt.Errorf("bad -e %q: %w; write it as KEY=VALUE", v, err)
		}
		if strings.ContainsRune(val, 0) {
			return nil, fmt.Errorf("bad -e %q: the value contains a NUL byte", v)
		}
		if !hasVal {
			hv, ok := lookup(key)
			if !ok {
				continue
			}
			val = hv
		}
		out = append(out, key+"="+val)
	}
	return out, nil
}

func checkEnvKey(k string) error {
	if k == "" {
		return fmt.Errorf("the name is empty")
	}
	for _, r := range k {
		if r == 0 || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return fmt.Errorf("the name %q contains white space or a NUL byte", k)
		}
	}
	return nil
}

// MergeEnv sets entries over base, later entries winning, keeping the order of
// first appearance so the result is stable.
func MergeEnv(base, over []string) []string {
	idx := map[string]int{}
	var out []string
	for _, list := range [][]string{base, over} {
		for _, e := range list {
			k, _, _ := strings.Cut(e, "=")
			if i, ok := idx[k]; ok {
				out[i] = e
				continue
			}
			idx[k] = len(out)
			out = append(out, e)
		}
	}
	return out
}

// ParseHostname checks a hostname the way the kernel and resolvers will see it:
// 1 to 64 bytes of RFC 1123 labels.
func ParseHostname(h string) (string, error) {
	if h == "" || len(h) > 64 {
		return "", fmt.Errorf("bad --hostname %q: it must be 1 to 64 characters", h)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("bad --hostname %q: empty or over-long label; use letters, digits, '-' and '.'", h)
		}
		for i, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' && i > 0 && i < len(label)-1
			if !ok {
				return "", fmt.Errorf("bad --hostname %q: use letters, digits, '-' (not at either end of a label) and '.'", h)
			}
		}
	}
	return h, nil
}

// ParseWorkdir checks a -w value: an absolute path inside the container, which
// is cleaned so that ".." cannot climb above the container's root.
func ParseWorkdir(w string) (string, error) {
	if w == "" {
		return "/", nil
	}
	if !strings.HasPrefix(w, "/") {
		return "", fmt.Errorf("bad --workdir %q: it must be an absolute path inside the container, such as /root", w)
	}
	if strings.ContainsRune(w, 0) {
		return "", fmt.Errorf("bad --workdir %q: it contains a NUL byte", w)
	}
	return path.Clean(w), nil
}
