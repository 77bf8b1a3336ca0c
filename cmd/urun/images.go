package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"
	"github.com/urun-dev/urun/internal/imagestore"
)

// ImagesCmd is `urun images`. urun lists the store itself (imagestore)
// rather than starting the image helper for it: scripts call it often.
type ImagesCmd struct {
	Quiet  bool   `short:"q" help:"Print only image IDs."`
	Format string `enum:"table,json" default:"table" help:"Output format: table or json."`
}

// Run lists the stored images.
func (c *ImagesCmd) Run() error {
	root, err := imagestore.DefaultRoot()
	if err != nil {
		return err
	}
	ims, err := (&imagestore.Store{Root: root}).List()
	if err != nil {
		return err
	}
	switch {
	case c.Format == "json":
		if ims == nil {
			ims = []*imagestore.Image{}
		}
		b, err := json.MarshalIndent(ims, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	case c.Quiet:
		for _, im := range ims {
			fmt.Println(imagestore.ShortID(im.ID))
		}
	default:
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
		fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
		for _, im := range ims {
			created := "unknown"
			if !im.Created.IsZero() {
				created = units.HumanDuration(time.Since(im.Created)) + " ago"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", im.Repository(), im.Tag(), imagestore.ShortID(im.ID), created, units.HumanSize(float64(im.Size)))
		}
		return tw.Flush()
	}
	return nil
}
