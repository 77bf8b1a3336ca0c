// Package pty owns terminals: creating the pseudo-terminal inside the
// container, passing its master to the parent, raw mode and its restoration,
// window size (SIGWINCH) and the copy loops between the user's terminal and
// the container.
//
// Two halves, one for each side of the process model:
//
//   - Container side (the init stage, after pivot_root, once the container's
//     own devpts is mounted on /dev/pts): [OpenInContainer] opens a pair from
//     the container's /dev/ptmx, [SetSize] gives it the user's window size,
//     [MakeControlling] makes the slave the controlling terminal of a new
//     session on fds 0, 1 and 2 (so the command, exec'd next, is a session
//     leader and job control works), and [SendFd] hands the master to the
//     parent over a Unix socket with SCM_RIGHTS. [SetupInContainer] does all of
//     it in one call.
//   - Host side (urun, on the user's terminal): [RecvFd] receives the master,
//     [Start] puts the user's terminal in raw mode, copies the window size and
//     follows SIGWINCH, and relays bytes both ways; [Session.Wait] drains every
//     byte the container wrote before it returns, and [Session.Restore] gives
//     the user back the terminal mode they had, byte for byte.
//
// It does not decide whether a run gets a terminal (that is the CLI's job), nor
// forward signals to the container (the container package does): with the
// user's terminal in raw mode, Ctrl-C, Ctrl-Z and Ctrl-\ are plain bytes that
// reach the container's line discipline, which signals its foreground process
// group itself.
//
// The subpackage ptytest drives programs through a real pseudo-terminal in
// tests, the way a person at a terminal would.
package pty
