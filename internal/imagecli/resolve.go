package imagecli

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/urun-dev/urun/image"
	"github.com/urun-dev/urun/internal/imageproto"
)

// Resolve finds the image of `urun run IMAGE` in the store, pulling it
// first when the request's policy says so, and marks it in use: the mark
// (an open file; the image stays while any process holds it) is returned
// with the answer, and the caller keeps it as long as the container lives.
func Resolve(req imageproto.Request) (*imageproto.Resolved, *os.File, error) {
	ref := req.Ref
	if _, err := image.ParseReference(ref, false); err != nil {
		return nil, nil, fmt.Errorf("%q is neither a directory nor an image reference (%v); give a rootfs directory (./DIR) or an image such as busybox", ref, err)
	}
	s, err := openImageStore(os.Stderr)
	if err != nil {
		return nil, nil, err
	}
	if req.Quiet {
		s.Progress = nil
	}
	im, mark, err := s.Use(ref)
	if req.Pull == "always" || (req.Pull == "missing" && errors.Is(err, image.ErrNotFound)) {
		mark.Release()
		po, perr := pullOptions(req.Registry)
		if perr != nil {
			return nil, nil, perr
		}
		if _, err = pull(s, ref, po); err != nil {
			return nil, nil, err
		}
		im, mark, err = s.Use(ref)
	}
	if errors.Is(err, image.ErrNotFound) {
		return nil, nil, fmt.Errorf("image %s is not in the store and --pull=never; pull it first (urun pull %s)", ref, ref)
	}
	if err != nil {
		return nil, nil, err
	}
	cfg, err := s.Config(im)
	if err != nil {
		mark.Release()
		return nil, nil, err
	}
	c := cfg.Config
	res := &imageproto.Resolved{
		Layers:     s.LayerDirs(im),
		Entrypoint: c.Entrypoint,
		Cmd:        c.Cmd,
		Env:        c.Env,
		WorkingDir: c.WorkingDir,
		User:       c.User,
	}
	if len(res.Layers) == 0 {
		mark.Release()
		return nil, nil, fmt.Errorf("image %s has no layers; nothing to run", ref)
	}
	for p := range c.ExposedPorts {
		res.ExposedPorts = append(res.ExposedPorts, p)
	}
	sort.Strings(res.ExposedPorts)
	return res, mark.File(), nil
}
