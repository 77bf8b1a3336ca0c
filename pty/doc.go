// Package pty owns terminals: creating the pseudo-terminal inside the container,
// passing its master to the parent, raw mode and its restoration, window size
// (SIGWINCH) and the copy loops between the user terminal and the container.
package pty
