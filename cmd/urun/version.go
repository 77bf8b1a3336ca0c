package main

import "fmt"

// VersionCmd is `urun version`.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run() error {
	fmt.Println("urun", version)
	return nil
}
