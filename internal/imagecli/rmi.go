package imagecli

import (
	"fmt"
	"os"
)

// RmiCmd is `urun rmi`.
type RmiCmd struct {
	Force bool     `short:"f" help:"Remove images that running containers use (their files vanish under them)."`
	Refs  []string `arg:"" help:"Images to remove: names or IDs." placeholder:"IMAGE"`
}

// Run removes the images and frees what no other image uses.
func (c *RmiCmd) Run() error {
	s, err := openImageStore(nil)
	if err != nil {
		return err
	}
	gone, err := s.Remove(c.Refs, c.Force)
	for _, im := range gone {
		name := im.Name
		if name == "" {
			name = im.ID
		}
		fmt.Fprintf(os.Stdout, "Untagged: %s\n", name)
	}
	if err != nil {
		return err
	}
	return nil
}
