//go:build !urun_stage

package main

import (
	"github.com/urun-dev/urun/internal/imagecli"
	"github.com/urun-dev/urun/internal/imageproto"
	"github.com/urun-dev/urun/internal/imagestore"
)

// A build without the embedded image helper (a plain `go build`) runs the
// image verbs in this process.

func runImageVerb(args []string) int { return imagecli.Main(args) }

func resolveImage(req imageproto.Request) (*imageproto.Resolved, *imagestore.Mark, error) {
	res, f, err := imagecli.Resolve(req)
	if err != nil {
		return nil, nil, err
	}
	return res, imagestore.NewMark(f), nil
}
