package usergroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxID is the largest id a user may name: (uid_t)-1 is "no change" to the
// kernel's set*id calls, so it is never a real id.
const maxID = 1<<32 - 2

// Passwd is one /etc/passwd entry.
type Passwd struct {
	Name  string
	UID   uint32
	GID   uint32
	Home  string
	Shell string
}

// Group is one /etc/group entry.
type Group struct {
	Name    string
	GID     uint32
	Members []string
}

// Spec is a parsed -u value: the user part and the optional group part, each
// a name or a number.
type Spec struct {
	User  string
	Group string // "" when no group was given
}

// ParseSpec parses a -u value: USER, USER:GROUP, UID, UID:GID (names or
// numbers on either side). It checks the syntax only; names are resolved by
// Resolve.
func ParseSpec(s string) (Spec, error) {
	u, g, hasGroup := strings.Cut(s, ":")
	switch {
	case s == "":
		return Spec{}, errors.New("bad --user \"\": give a user name or uid, optionally with :GROUP")
	case u == "":
		return Spec{}, fmt.Errorf("bad --user %q: the user part is empty; write USER[:GROUP], such as 1000:1000 or www-data", s)
	case hasGroup && g == "":
		return Spec{}, fmt.Errorf("bad --user %q: the group part is empty; write USER:GROUP or just USER", s)
	}
	for _, part := range []string{u, g} {
		if err := checkName(part); err != nil {
			return Spec{}, fmt.Errorf("bad --user %q: %w", s, err)
		}
	}
	return Spec{User: u, Group: g}, nil
}

// checkName refuses what can be neither a name in /etc/passwd nor a number:
// the file's separators and control characters, and numbers out of range.
func checkName(n string) error {
	if len(n) > 256 {
		return errors.New("the name is longer than 256 bytes")
	}
	for _, r := range n {
		if r == ':' || r == '\n' || r < ' ' || r == 0x7f {
			return fmt.Errorf("%q contains a colon, newline or control character", n)
		}
	}
	if isNumeric(n) {
		if _, err := parseID(n); err != nil {
			return err
		}
	}
	return nil
}

// isNumeric says whether n is meant as a number: all digits. A name such as
// "1a" is a name, as in runc.
func isNumeric(n string) bool {
	if n == "" {
		return false
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func parseID(n string) (uint32, error) {
	v, err := strconv.ParseUint(n, 10, 64)
	if err != nil || v > maxID {
		return 0, fmt.Errorf("id %s is out of range (0 to %d)", n, uint64(maxID))
	}
	return uint32(v), nil
}

// maxLine bounds one line of /etc/passwd or /etc/group; longer lines are
// skipped as malformed rather than read into memory without end.
const maxLine = 64 << 10

// ParsePasswd reads /etc/passwd entries. Malformed lines are skipped, as
// glibc's files backend does; only a read error is an error.
func ParsePasswd(r io.Reader) ([]Passwd, error) {
	var out []Passwd
	err := eachLine(r, func(line string) {
		f := strings.Split(line, ":")
		if len(f) < 7 || f[0] == "" {
			return
		}
		uid, err1 := parseID(f[2])
		gid, err2 := parseID(f[3])
		if err1 != nil || err2 != nil {
			return
		}
		out = append(out, Passwd{Name: f[0], UID: uid, GID: gid, Home: f[5], Shell: f[6]})
	})
	return out, err
}

// ParseGroup reads /etc/group entries, skipping malformed lines.
func ParseGroup(r io.Reader) ([]Group, error) {
	var out []Group
	err := eachLine(r, func(line string) {
		f := strings.Split(line, ":")
		if len(f) < 4 || f[0] == "" {
			return
		}
		gid, err := parseID(f[2])
		if err != nil {
			return
		}
		g := Group{Name: f[0], GID: gid}
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.Members = append(g.Members, m)
			}
		}
		out = append(out, g)
	})
	return out, err
}

// eachLine calls fn for every line that is not empty or a comment.
func eachLine(r io.Reader, fn func(string)) error {
	br := bufio.NewReader(r)
	for {
		line, err := readLine(br)
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			fn(strings.TrimRight(line, "\r"))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line without its newline; a line over maxLine comes
// back empty (skipped) and the rest of it is discarded.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(b)+len(chunk) > maxLine {
				tooLong, b = true, nil
			} else {
				b = append(b, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if tooLong {
			return "", err
		}
		return strings.TrimSuffix(string(b), "\n"), err
	}
}
