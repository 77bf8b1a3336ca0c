package mount

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	o := parseOptions([]string{"nosuid", "ro", "mode=755", "rw", "size=1k", "rbind", "rslave", "U"})
	if o.flags != unix.MS_NOSUID|unix.MS_BIND|unix.MS_REC {
		t.Errorf("flags %#x", o.flags)
	}
	if o.data != "mode=755,size=1k" {
		t.Errorf("data %q", o.data)
	}
	if o.propagation != unix.MS_SLAVE || !o.recProp || !o.chown {
		t.Errorf("propagation %#x recursive %v chown %v", o.propagation, o.recProp, o.chown)
	}
}

func TestAttrFlags(t *testing.T) {
	got := attrFlags(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_BIND)
	want := uint64(unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC)
	if got != want {
		t.Errorf("attrFlags = %#x, want %#x", got, want)
	}
}
