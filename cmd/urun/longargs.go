package main

import (
	"github.com/alecthomas/kong"
)

// kongArgsMax is how many arguments kong is given at most. Once kong reaches a
// passthrough argument it moves every remaining token to the front of its
// scanner one at a time, each move copying the whole rest (kong 1.17's
// Context.endParsing and Scanner.PushToken): 40,000 command arguments took 7 s,
// 80,000 took 39 s. No urun command line has this many flags before its
// command, so kong parses a prefix and the tail is appended to the command.
const kongArgsMax = 256

// parseArgs parses args as parser.Parse does, in time linear in their number.
// The prefix parse is the full parse whenever the command (the passthrough
// RunCmd.Command) has started inside the prefix: kong reads left to right, and
// from the command's first word on every argument is the command's. Otherwise
// (hundreds of flags, or an error in the prefix) the whole line goes to kong.
func parseArgs(parser *kong.Kong, args []string) (*kong.Context, error) {
	if len(args) <= kongArgsMax {
		return parser.Parse(args)
	}
	ctx, err := parser.Parse(args[:kongArgsMax])
	if err == nil && ctx.Selected() != nil {
		if rc, ok := ctx.Selected().Target.Addr().Interface().(*RunCmd); ok && len(rc.Command) > 0 {
			rc.Command = append(rc.Command, args[kongArgsMax:]...)
			return ctx, nil
		}
	}
	return parser.Parse(args)
}
