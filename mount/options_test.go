package mount

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	flags, data := parseOptions([]string{"nosuid", "ro", "mode=755", "rw", "size=1k", "rbind"})
	if flags != unix.MS_NOSUID|unix.MS_BIND|unix.MS_REC {
		t.Errorf("flags %#x", flags)
	}
	if data != "mode=755,size=1k" {
		t.Errorf("data %q", data)
	}
}
