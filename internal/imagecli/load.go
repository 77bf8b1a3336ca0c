package imagecli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// LoadCmd is `urun load`.
type LoadCmd struct {
	Input string `short:"i" required:"" help:"An OCI layout (directory or tarball) or a docker-archive tarball (docker save)." placeholder:"FILE"`
	Quiet bool   `short:"q" help:"Print no progress."`
}

// Run stores the images of the archive.
func (c *LoadCmd) Run() error {
	var w io.Writer = os.Stderr
	if c.Quiet {
		w = nil
	}
	s, err := openImageStore(w)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ims, err := s.Load(ctx, c.Input)
	if err != nil {
		return err
	}
	for _, im := range ims {
		name := im.Name
		if name == "" {
			name = "(no name) " + im.ID
		}
		fmt.Printf("Loaded image: %s\n", name)
	}
	return nil
}
