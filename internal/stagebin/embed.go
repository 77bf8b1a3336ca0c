//go:build urun_stage

package stagebin

import _ "embed"

// data is cmd/urun-init, built by `make build` into this directory (it is
// not in git: it is built from the same tree, so it speaks the same
// protocol as the urun it is embedded in).
//
//go:embed urun-init
var data string
