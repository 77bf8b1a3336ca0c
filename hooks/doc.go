// Package hooks runs OCI hooks as the runtime spec says: each hook's path is
// executed with its args (args[0] is argv[0], as execve) and exactly its env
// (nothing of urun's environment leaks in), the container's state JSON
// (specs.State) on stdin, and its timeout in seconds when it has one; a hook
// that is still running then is killed and is an error.
//
// Contract with the caller (the create/start/delete verbs):
//
//   - Run runs one phase's hooks in order and stops at the first failure,
//     returning an error that names the phase, the hook's index and path and
//     the hook's own last line of stderr. The spec makes a failure of
//     prestart, createRuntime, createContainer and startContainer fatal: the
//     caller stops the container and reports it. A failure of poststart or
//     poststop is a warning: the caller logs it (RunAll returns every
//     failure) and carries on.
//   - Which namespaces a hook runs in is the caller's business: Run executes
//     hooks in the calling process's namespaces. prestart, createRuntime and
//     poststart, poststop run in the runtime's (host side) namespaces;
//     createContainer and startContainer must run in the container's mount
//     namespace (startContainer after pivot_root, in the container, before
//     the command): the caller runs them from the init stage.
//   - The state is the caller's: Run marshals what it is given, and the
//     caller sets the status the spec wants at each phase (creating, created,
//     running, stopped) and the pid.
//   - A hook's stdout and stderr go to the writers in Options (the runtime's
//     own stderr or log), its stderr also kept for the error message.
//
// It knows nothing of containers, the store or the CLI.
package hooks
