package userns

import (
	"os"

	"github.com/urun-dev/urun/pty"
)

// setupTerminal gives the command a terminal of the container's own devpts
// (mounted on /dev/pts, /dev/ptmx -> pts/ptmx) as its controlling terminal
// on fds 0, 1 and 2, and sends the master to the parent over the console
// socket. The parent's window size comes in the spec's ConsoleSize, so the
// command sees the right size from its first instruction.
func setupTerminal(c *Config) error {
	sock := os.NewFile(uintptr(c.ConsoleFd), "console-socket")
	defer sock.Close()
	var rows, cols uint16
	if cs := c.Spec.Process.ConsoleSize; cs != nil && cs.Height <= 0xffff && cs.Width <= 0xffff {
		rows, cols = uint16(cs.Height), uint16(cs.Width)
	}
	return pty.SetupInContainer(sock, rows, cols)
}

// earlyTerminal makes the terminal at set-up (Config.EarlyTerminal): the
// engine holds the master from create on. The command then finds its
// terminal already in place, so startProcess makes none.
func earlyTerminal(c *Config) *InitError {
	if err := setupTerminal(c); err != nil {
		return failf("setting up the container's terminal: %v", err)
	}
	if err := giveTerminal(c.Spec.Process.User.UID); err != nil {
		return failf("giving the container's terminal to uid %d: %v", c.Spec.Process.User.UID, err)
	}
	c.ConsoleFd = 0
	return nil
}
