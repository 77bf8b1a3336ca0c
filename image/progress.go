package image

import (
	"fmt"
	"io"
	"strings"

	units "github.com/docker/go-units"
	"github.com/urun-dev/urun/internal/imagestore"
)

// Progress prints one line per layer: on a terminal a bar redrawn in place
// as bytes arrive, otherwise plain lines (start, end) that a CI log keeps.
// go-containerregistry's remote.WithProgress counts writes only, so the
// store counts the bytes it reads itself. A nil *Progress prints nothing.
type Progress struct {
	Out      io.Writer
	Terminal bool

	i, n        int
	digest      string
	size, have  int64
	lastPercent int
}

func (p *Progress) start(i, n int, digest string, size int64) {
	if p == nil {
		return
	}
	p.i, p.n, p.digest, p.size, p.have, p.lastPercent = i, n, imagestore.ShortID(digest), size, 0, -1
	if !p.Terminal {
		fmt.Fprintf(p.Out, "layer %d/%d %s: fetching %s\n", i, n, p.digest, units.HumanSize(float64(size)))
		return
	}
	p.draw()
}

func (p *Progress) add(n int64) {
	if p == nil {
		return
	}
	p.have += n
	if p.Terminal {
		p.draw()
	}
}

func (p *Progress) present(i, n int, digest string) {
	if p == nil {
		return
	}
	fmt.Fprintf(p.Out, "layer %d/%d %s: already present\n", i, n, imagestore.ShortID(digest))
}

func (p *Progress) done() {
	if p == nil {
		return
	}
	if p.Terminal {
		p.have = p.size
		p.draw()
		fmt.Fprintln(p.Out, " done")
		return
	}
	fmt.Fprintf(p.Out, "layer %d/%d %s: unpacked\n", p.i, p.n, p.digest)
}

func (p *Progress) fail() {
	if p != nil && p.Terminal {
		fmt.Fprintln(p.Out)
	}
}

// draw redraws the bar when its percentage changed (a redraw per read
// would flood a slow terminal).
func (p *Progress) draw() {
	pct := 0
	if p.size > 0 {
		pct = int(p.have * 100 / p.size)
	}
	if pct > 100 {
		pct = 100
	}
	if pct == p.lastPercent {
		return
	}
	p.lastPercent = pct
	const width = 30
	bar := strings.Repeat("=", pct*width/100)
	if len(bar) < width {
		bar += ">" + strings.Repeat(" ", width-len(bar)-1)
	}
	fmt.Fprintf(p.Out, "\r\033[K%s layer %d/%d [%s] %s / %s", p.digest, p.i, p.n, bar,
		units.HumanSize(float64(p.have)), units.HumanSize(float64(p.size)))
}
