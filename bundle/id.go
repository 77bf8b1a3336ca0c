package bundle

import (
	"errors"
	"fmt"
)

// MaxIDLen bounds a container id: it becomes a directory name in the store
// (NAME_MAX is 255) and part of unit and socket names.
const MaxIDLen = 255

// CheckID refuses ids that cannot name a container: empty, ".", "..", too
// long, or with characters outside runc's set (letters, digits, "_", "+",
// "-", "."), which keeps a slash, a NUL and control bytes out of the store's
// paths.
func CheckID(id string) error {
	switch {
	case id == "":
		return errors.New("the container id is empty: give one, e.g. 'mycontainer'")
	case id == "." || id == "..":
		return fmt.Errorf("container id %q is not allowed: choose a name with letters or digits", id)
	case len(id) > MaxIDLen:
		return fmt.Errorf("container id is %d bytes long: at most %d are allowed", len(id), MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c == '/' {
			return fmt.Errorf("container id %q has a slash: use only letters, digits, '_', '+', '-' and '.'", id)
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '+' || c == '-' || c == '.') {
			return fmt.Errorf("container id %q has the character %q: use only letters, digits, '_', '+', '-' and '.'", id, c)
		}
	}
	return nil
}
