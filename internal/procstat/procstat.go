// Package procstat reads /proc/PID/stat lines: the fields after the command
// name, which is in parentheses and may itself hold spaces and parentheses.
// It owns that parsing only; what the fields mean is the caller's.
package procstat

import (
	"bytes"
	"errors"
	"strings"
)

// ErrNoComm is a line without the ")" that ends the command name.
var ErrNoComm = errors.New("no command name")

// Fields returns the fields of a stat line from field 3 (the state) on:
// Fields(b)[0] is field 3, Fields(b)[n] is field n+3 of proc(5).
func Fields(stat []byte) ([]string, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, ErrNoComm
	}
	return strings.Fields(string(stat[i+1:])), nil
}
