// Package ocilog is urun's log for engines: runc's global --log FILE,
// --log-format text|json and --debug. conmon, podman and containerd's shim
// read the runtime's log file after a failure and take its error lines as
// the error to show, in runc's logrus format:
//
//	json: {"level":"error","msg":"...","time":"2006-01-02T15:04:05Z"}
//	text: time="2006-01-02T15:04:05Z" level=error msg="..."
//
// One line per entry, written with one write(2) on a file opened O_APPEND, so
// lines of several urun processes (create, then the monitor) do not
// interleave. Debug entries are written only with --debug.
//
// It knows nothing of the CLI: cmd/urun opens it from its global flags and
// sends its one-line user errors here too.
package ocilog
