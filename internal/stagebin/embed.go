//go:build urun_stage

package stagebin

import _ "embed"

// initData is cmd/urun-init and imageData cmd/urun-image, built by `make
// build` into this directory (they are not in git: they are built from the
// same tree, so they speak the same protocol as the urun they are embedded
// in).
var (
	//go:embed urun-init
	initData string
	//go:embed urun-image
	imageData string
)
