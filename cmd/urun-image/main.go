// Command urun-image is urun's image helper: the image verbs (pull, images,
// rmi, load, import) and `urun run IMAGE`'s lookup, in a binary of their own
// that `make build` embeds into urun (package imagecli says why). urun runs
// it from a sealed copy, with urun's arguments from the verb on.
package main

import (
	"os"

	"github.com/urun-dev/urun/internal/imagecli"
	"github.com/urun-dev/urun/userns"
)

func main() {
	if userns.IsHelper() {
		// Unpacking and removing layers as root of a user namespace
		// (package archive's helper stages): this binary runs them.
		userns.RunHelper()
		return
	}
	os.Exit(imagecli.Main(os.Args[1:]))
}
