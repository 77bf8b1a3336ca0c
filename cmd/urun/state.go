package main

import (
	"encoding/json"
	"fmt"
)

// StateCmd is `urun state`, the OCI runtime's: the spec's state JSON.
type StateCmd struct {
	ID string `arg:"" name:"id" help:"The container's id."`
}

// Run prints the state: ociVersion, id, status (created, running or
// stopped), pid (while not stopped), bundle, annotations.
func (s *StateCmd) Run() error {
	_, r, err := ociGet(s.ID)
	if err != nil {
		return usageError(err)
	}
	b, err := json.MarshalIndent(ociState(r), "", "  ")
	if err != nil {
		return usageError(fmt.Errorf("encoding the state: %w", err))
	}
	fmt.Println(string(b))
	return nil
}
