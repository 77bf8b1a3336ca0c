package imagecli

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"
	"github.com/urun-dev/urun/image"
)

// ImagesCmd is `urun images`.
type ImagesCmd struct {
	Quiet  bool   `short:"q" help:"Print only image IDs."`
	Format string `enum:"table,json" default:"table" help:"Output format: table or json."`
}

// Run lists the stored images.
func (c *ImagesCmd) Run() error {
	s, err := openImageStore(nil)
	if err != nil {
		return err
	}
	ims, err := s.List()
	if err != nil {
		return err
	}
	switch {
	case c.Format == "json":
		if ims == nil {
			ims = []*image.Image{}
		}
		b, err := json.MarshalIndent(ims, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	case c.Quiet:
		for _, im := range ims {
			fmt.Println(image.ShortID(im.ID))
		}
	default:
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
		fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
		for _, im := range ims {
			created := "unknown"
			if !im.Created.IsZero() {
				created = units.HumanDuration(time.Since(im.Created)) + " ago"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", im.Repository(), im.Tag(), image.ShortID(im.ID), created, units.HumanSize(float64(im.Size)))
		}
		return tw.Flush()
	}
	return nil
}
