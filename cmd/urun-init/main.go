// Command urun-init is urun's init stage and exec's stage: the part of urun
// that runs inside a container before its command does. `make build`
// embeds it into urun (package internal/stagebin), which starts it from a
// sealed memfd, or, for a urun of root's, from the copy `make install` puts
// in PREFIX/libexec/urun, off PATH; it is never run by hand.
package main

import (
	"fmt"
	"os"

	"github.com/urun-dev/urun/userns"
)

func main() {
	switch {
	case userns.IsInit():
		userns.RunInit()
	case userns.IsTini():
		userns.RunTini()
	case userns.IsExec():
		userns.RunExec()
	default:
		fmt.Fprintln(os.Stderr, "urun-init: this is urun's init stage, which urun starts itself: run urun instead")
		os.Exit(125)
	}
}
