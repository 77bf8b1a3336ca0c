// Package cliexit owns how urun's two command lines (urun's own and the
// image helper's, package imagecli) carry an exit status out of kong: kong
// exits for help and usage errors by calling a function, which here panics
// with a Status that the deferred Recover turns into the status to return;
// a verb returns a Status as its error to exit with it.
package cliexit

import (
	"errors"
	"fmt"

	"github.com/alecthomas/kong"
)

// Status is an exit status carried as an error or a panic.
type Status int

func (s Status) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// Option makes kong's exits panic with their Status.
func Option() kong.Option { return kong.Exit(func(code int) { panic(Status(code)) }) }

// Recover, deferred in the function that runs the parser, sets *status to
// the Status of kong's exit; any other panic goes on.
func Recover(status *int) {
	if v := recover(); v != nil {
		s, ok := v.(Status)
		if !ok {
			panic(v)
		}
		*status = int(s)
	}
}

// Of returns the Status that err carries, if it carries one.
func Of(err error) (int, bool) {
	var s Status
	if errors.As(err, &s) {
		return int(s), true
	}
	return 0, false
}
