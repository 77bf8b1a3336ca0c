package mount

import "fmt"

// Overlay is a copy-on-write root: the rootfs (and, later, image layers)
// as read-only lower layers under an upper layer that takes every write.
type Overlay struct {
	// Lower are the lower layers, uppermost first (overlayfs's lowerdir
	// order); the rootfs is the last.
	Lower []string `json:"lower"`
	// Upper and Work are the kept layer (--overlay=DIR); both empty means a
	// throwaway upper on a tmpfs in the container's own mount namespace.
	Upper string `json:"upper,omitempty"`
	Work  string `json:"work,omitempty"`
}

func mountOverlay(root string, o *Overlay) error {
	return fmt.Errorf("--overlay is not available in this build")
}
