package idmap

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Range is one subordinate id range from /etc/subuid or /etc/subgid.
type Range struct {
	Start uint32
	Count uint32
}

// Entry is one parsed line: the owner as written (a name or a numeric id) and its range.
type Entry struct {
	Owner string
	Range
}

// maxID is the largest id a range may reach: 2^32-1 is the kernel's invalid id.
const maxID = 1<<32 - 2

// ParseSubIDs parses the contents of a subuid/subgid file. name is used only in
// error messages, which name the file and line, because an admin fixing the file
// needs to know where to look.
func ParseSubIDs(name string, r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		e, err := parseLine(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w (want NAME:START:COUNT)", name, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}

func parseLine(text string) (Entry, error) {
	f := strings.Split(text, ":")
	if len(f) != 3 {
		return Entry{}, fmt.Errorf("malformed line %q: %d fields", text, len(f))
	}
	owner := strings.TrimSpace(f[0])
	if owner == "" {
		return Entry{}, fmt.Errorf("malformed line %q: empty owner", text)
	}
	start, err := strconv.ParseUint(strings.TrimSpace(f[1]), 10, 32)
	if err != nil {
		return Entry{}, fmt.Errorf("malformed line %q: bad start %q", text, f[1])
	}
	count, err := strconv.ParseUint(strings.TrimSpace(f[2]), 10, 32)
	if err != nil {
		return Entry{}, fmt.Errorf("malformed line %q: bad count %q", text, f[2])
	}
	if count == 0 {
		return Entry{}, fmt.Errorf("malformed line %q: count is 0", text)
	}
	if start+count-1 > maxID {
		return Entry{}, fmt.Errorf("malformed line %q: range passes the largest id %d", text, uint64(maxID))
	}
	return Entry{Owner: owner, Range: Range{Start: uint32(start), Count: uint32(count)}}, nil
}

// RangesFor returns the ranges that belong to the user, given by name and by
// numeric id, in file order (newuidmap accepts either spelling, so do we).
func RangesFor(entries []Entry, name string, id int) []Range {
	ids := strconv.Itoa(id)
	var out []Range
	for _, e := range entries {
		if (name != "" && e.Owner == name) || e.Owner == ids {
			out = append(out, e.Range)
		}
	}
	return out
}

// ReadRanges reads file and returns the ranges of the user. A missing file is
// not an error: it means no ranges.
func ReadRanges(file, name string, id int) ([]Range, error) {
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	entries, err := ParseSubIDs(file, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return RangesFor(entries, name, id), nil
}
