// Package monitor owns the per-container supervisor of a detached container
// (`urun run -d`): urun re-executed as `urun monitor` in a session of its
// own, a child subreaper, that runs the container through container.Run (the
// same orchestration as a foreground run) and holds what the foreground urun
// holds there: the init stage (Pdeathsig on the thread that started it, so a
// SIGKILL of the monitor kills the container), the scope, slirp4netns, the
// terminal's master or the output pipes. It adds the log (k8s-file lines,
// bounded) and the control socket. There is no daemon: each container has
// its own monitor, and the store (package store) is the only shared thing.
//
// # Start-up
//
// The CLI (Launch) passes the monitor three descriptors: 3, the launch config
// (JSON, then EOF); 4, the report pipe, on which the monitor writes
// "running\n" once the command runs or "exit N\n" when it could not start
// (N is 125, 126 or 127, as for a foreground run); 5, the caller's stderr,
// where urun's own messages go until then (afterwards they go to the log as
// the container's stderr). A container that never ran leaves no record.
//
// # Control socket protocol
//
// ctl.sock in the container's directory is a SOCK_SEQPACKET socket: one
// message per packet, its first byte the type (conmon's stream tag, for every
// message), the rest the payload (see the T* constants in proto.go). The
// first message of a connection is its request, and says what follows:
//
//	TSignal n    -> TOK (the signal is passed to PID 1 as a foreground run
//	                passes the signals it gets), then the monitor closes.
//	TStop secs   -> SIGTERM now, SIGKILL after secs; TExit status once the
//	                container is gone (the timer is the monitor's, so a stop
//	                completes even if its CLI dies).
//	TWait        -> TExit status once the container is gone.
//	TStart       -> (OCI containers) the start gate opens; TOK once the
//	                command runs, TError text if it could not start or the
//	                container is not created (never started, or started).
//	TAttach 0|1  -> TOK, then TStdout/TStderr with what the container writes
//	                (its terminal's output is TStdout) until it exits, then
//	                TExit. With 1 the client may send TStdin data and
//	                TStdinClose; any client may send TResize rows cols.
//	                The client detaches by closing the connection.
//
// # OCI containers
//
// For `urun create` (Options.OCI) the monitor gets three more descriptors:
// 7, 8, 9 (6 is the hold), create's own stdin, stdout and stderr, which become the
// container's as they are (engines pass pipes or fifos and read them
// directly; no log is put between). The monitor stops the container at the
// start gate (container.OCI) and writes "created\n" on the report pipe once
// it is created (hooks run, pid file written); `urun start` (TStart) opens
// the gate. A signal (TSignal) to a created container goes straight to its
// PID 1, which waits at the gate and cannot relay it. Once the command runs
// (and the poststart hooks have), the monitor hands the container off
// (container.OCI.HandOff): it records that, answers start, and exits, so
// the container's PID 1 is reparented to the nearest subreaper, the
// engine's conmon or shim, which waitpids it as it does runc's (runc create
// exits and leaves its init to them). From then on urun reaches it by its
// pid: kill and delete --force signal it through a pidfd checked against
// the recorded start time, and state reads it alive or gone. The record of
// an OCI container stays when it stops; `urun delete` removes it.
//
// A client that does not keep up with the output is dropped (the container
// and its log never wait for a reader). When the container ends the monitor
// writes the exit file and the record (status exited, exitCode, finished),
// then sends TExit to every client, removes the socket, removes the record
// with --rm, and exits. A client whose connection closes without TExit reads
// the record.
//
// Detach keys (ParseDetachKeys, DetachMatcher) are matched on the client's
// side, in its input, as docker's and podman's are.
package monitor
