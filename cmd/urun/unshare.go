package main

import (
	"fmt"
	"os"

	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/userns"
)

// UnshareCmd is `urun unshare [CMD...]`, podman's: a host command as root of
// a user namespace with your subordinate ranges mapped.
type UnshareCmd struct {
	Quiet   bool     `short:"q" help:"Do not print notices (such as the single-id map fallback)."`
	Command []string `arg:"" optional:"" passthrough:"" help:"Command and arguments (default: your $SHELL, or /bin/sh)."`
}

// Run runs the command and relays its status.
func (u *UnshareCmd) Run() error {
	args := u.Command
	if len(args) == 0 {
		sh := os.Getenv("SHELL")
		if sh == "" {
			sh = "/bin/sh"
		}
		args = []string{sh}
	}
	maps, err := idmap.PlanFor()
	if err != nil {
		return usageError(err)
	}
	if maps.Notice != "" && !u.Quiet {
		fmt.Fprintln(os.Stderr, maps.Notice)
	}
	status, err := userns.Unshare(args, maps)
	if err != nil {
		return usageError(err)
	}
	return exitError(status)
}
