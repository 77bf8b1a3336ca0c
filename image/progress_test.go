package image

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressTerminalRedrawsPlainDoesNot(t *testing.T) {
	var tty, plain bytes.Buffer
	for _, p := range []*Progress{{Out: &tty, Terminal: true}, {Out: &plain}} {
		p.start(1, 2, "sha256:0123456789abcdef", 1000)
		for i := 0; i < 10; i++ {
			p.add(100)
		}
		p.done()
		p.present(2, 2, "sha256:fedcba9876543210")
	}
	if n := strings.Count(tty.String(), "\r"); n < 10 {
		t.Errorf("the terminal bar was redrawn %d times, want one per percent step: %q", n, tty.String())
	}
	if !strings.Contains(tty.String(), "[==============================]") || !strings.Contains(tty.String(), " done\n") {
		t.Errorf("no full bar: %q", tty.String())
	}
	want := "layer 1/2 0123456789ab: fetching 1kB\nlayer 1/2 0123456789ab: unpacked\nlayer 2/2 fedcba987654: already present\n"
	if plain.String() != want {
		t.Errorf("plain lines:\n%q\nwant\n%q", plain.String(), want)
	}
	var nilP *Progress
	nilP.start(1, 1, "x", 1)
	nilP.add(1)
	nilP.done()
}
