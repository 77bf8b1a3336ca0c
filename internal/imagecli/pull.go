package imagecli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urun-dev/urun/archive"
	"github.com/urun-dev/urun/image"
	"github.com/urun-dev/urun/internal/imageproto"
	"github.com/urun-dev/urun/internal/imagestore"
	"github.com/urun-dev/urun/pty"
)

// pullOptions turns the registry flags into the store's pull options.
func pullOptions(f imageproto.RegistryFlags) (image.PullOptions, error) {
	o := image.PullOptions{Insecure: !f.TLSVerify}
	if f.Platform != "" {
		p, err := image.ParsePlatform(f.Platform)
		if err != nil {
			return o, err
		}
		o.Platform = &p
	}
	return o, nil
}

// PullCmd is `urun pull`.
type PullCmd struct {
	imageproto.RegistryFlags `embed:""`
	Quiet                    bool   `short:"q" help:"Print only the image ID, no progress."`
	Ref                      string `arg:"" help:"Image to pull: [REGISTRY/]NAME[:TAG|@DIGEST] (docker.io and library/ by default)." placeholder:"IMAGE"`
}

// openImageStore opens the user's image store; progress goes to w (nil: none).
// Layers are unpacked and removed inside the user namespace: their files
// belong to the container's ids.
func openImageStore(w io.Writer) (*image.Store, error) {
	root, err := imagestore.DefaultRoot()
	if err != nil {
		return nil, err
	}
	s := &image.Store{
		Store: imagestore.Store{Root: root},
		Unpack: func(ctx context.Context, r io.Reader, dir string) error {
			_, err := archive.UnpackRootless(ctx, r, dir, archive.Overlay)
			return err
		},
		RemoveAll: func(dir string) error { return archive.RemoveRootless(context.Background(), dir) },
	}
	if w != nil {
		f, ok := w.(*os.File)
		s.Progress = &image.Progress{Out: w, Terminal: ok && pty.IsTerminal(f)}
	}
	return s, nil
}

// Run pulls the image.
func (p *PullCmd) Run() error {
	o, err := pullOptions(p.RegistryFlags)
	if err != nil {
		return err
	}
	var progress io.Writer = os.Stderr
	if p.Quiet {
		progress = nil
	}
	s, err := openImageStore(progress)
	if err != nil {
		return err
	}
	im, err := pull(s, p.Ref, o)
	if err != nil {
		return err
	}
	if !p.Quiet {
		fmt.Fprintf(os.Stderr, "pulled %s (%s)\n", im.Name, im.Platform)
	}
	fmt.Println(im.ID)
	return nil
}

// pull pulls ref; Ctrl-C stops it cleanly (what was not finished is never
// used and the next pull deletes it).
func pull(s *image.Store, ref string, o image.PullOptions) (*imagestore.Image, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	im, err := s.Pull(ctx, ref, o)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("pull of %s interrupted; nothing partial is kept (pull again to finish)", ref)
	}
	return im, err
}
