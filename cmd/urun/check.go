package main

import (
	"errors"
	"os"

	"github.com/urun-dev/urun/hostcheck"
)

// CheckCmd is `urun check`.
type CheckCmd struct{}

// Run prints the host report; exit status 1 when something urun needs is
// missing.
func (CheckCmd) Run() error {
	if err := hostcheck.Report(os.Stdout); err != nil {
		if errors.Is(err, hostcheck.ErrProblems) {
			return exitError(1)
		}
		return err
	}
	return nil
}
