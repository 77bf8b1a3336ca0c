// Package state owns the per-run state directory under $XDG_RUNTIME_DIR/urun (or a
// private fallback checked for owner and mode): creating it, locking it while the
// run lives, removing it, and collecting directories left by runs that died.
package state
