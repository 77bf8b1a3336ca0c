package userns

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestJoinSessionKeyring: after the join the process's session keyring is a
// new one, and a key of the old one is not found through it.
func TestJoinSessionKeyring(t *testing.T) {
	// The session keyring belongs to the thread's credentials; keep the
	// test on one thread so before and after are the same thread's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := unix.KeyctlJoinSessionKeyring("urun-test-old")
	if err != nil {
		t.Skipf("SKIP: no keyrings here: %v", err)
	}
	if _, err := unix.AddKey("user", "urun-test-key", []byte("secret"), unix.KEY_SPEC_SESSION_KEYRING); err != nil {
		t.Fatal(err)
	}
	if err := joinSessionKeyring(); err != nil {
		t.Fatal(err)
	}
	now, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil || now == old {
		t.Fatalf("session keyring %d (%v) after the join, was %d", now, err, old)
	}
	if id, err := unix.KeyctlSearch(unix.KEY_SPEC_SESSION_KEYRING, "user", "urun-test-key", 0); err == nil {
		t.Fatalf("the old session keyring's key %d is still found", id)
	}
}
