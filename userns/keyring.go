package userns

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// joinSessionKeyring gives the container a fresh, anonymous session keyring,
// as runc and crun do. Otherwise it inherits the user's: keys the user holds
// there (tokens, credentials) are readable inside, and keys the container
// adds land in the user's keyring.
//
// The keyring is part of the calling thread's credentials: the stage calls
// this on the locked thread it execs the command from.
//
// A kernel without keyrings (ENOSYS) has nothing to share. A keyctl refused
// by a filter urun runs under (EPERM, e.g. inside another container) is
// harmless only if the container cannot reach the keyring either, which is
// checked rather than assumed.
func joinSessionKeyring() error {
	// x/sys's KeyctlJoinSessionKeyring passes a name; NULL asks for an
	// anonymous keyring that no other process can join by name.
	_, _, errno := unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0)
	if errno == 0 || errno == unix.ENOSYS {
		return nil
	}
	if errno == unix.EPERM {
		if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false); err != nil {
			return nil
		}
	}
	return fmt.Errorf("joining a session keyring of the container's own: %w", errno)
}
