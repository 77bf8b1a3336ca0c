package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ConfigName is the config file of a bundle.
const ConfigName = "config.json"

// ParseConfig decodes a config.json. name is used in messages (the file's
// path). Any ociVersion 1.x is accepted, as runc and crun do: the 1.x specs
// only add fields, and fields urun does not know are ignored by the decoder.
func ParseConfig(name string, b []byte) (*specs.Spec, error) {
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %s: fix the JSON", name, jsonError(b, err))
	}
	if err := checkVersion(s.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &s, nil
}

// checkVersion accepts "1", "1.x", "1.x.y" and their pre-releases.
func checkVersion(v string) error {
	if v == "" {
		return errors.New("ociVersion is missing: set it, e.g. \"ociVersion\": \"" + specs.Version + "\"")
	}
	major, _, _ := strings.Cut(v, ".")
	if major != "1" {
		return fmt.Errorf("ociVersion %q is not supported: urun runs bundles of runtime-spec 1.x (it implements %s)", oneLine(v), specs.Version)
	}
	return nil
}

// jsonError says where in b a decoding error is, as line:column.
func jsonError(b []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("line %s: %s", position(b, syn.Offset), syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the top level"
		}
		return fmt.Sprintf("line %s: %s must be %s, not a JSON %s", position(b, typ.Offset), field, typ.Type.String(), typ.Value)
	}
	return oneLine(err.Error())
}

// position is the line:column of byte offset off (the decoder reports the
// offset just after the bad token).
func position(b []byte, off int64) string {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	if off < 0 {
		off = 0
	}
	before := b[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	if off > 0 && col > 1 {
		// The offset points past the offending byte; name that byte.
		col--
	}
	return fmt.Sprintf("%d:%d", line, col)
}

// oneLine keeps messages to one line whatever the input holds, and short.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
