// Package store owns the per-user container store: one directory per
// container under the user's base directory ($XDG_RUNTIME_DIR/urun, root's
// /run/urun, or the checked /tmp/urun-UID fallback), holding
//
//	state.json  the Record, written by write + rename under an flock on lock
//	lock        the per-container update lock
//	config.json the OCI spec of the run as urun ran it (absolute rootfs)
//	ctl.sock    the monitor's control socket (SOCK_SEQPACKET, package monitor)
//	log         the container's output as k8s-file lines (package monitor)
//	exit        the exit status, written by the monitor when PID 1 ends
//
// Names are reserved under an flock on the base directory itself, so two
// runs asking for one name cannot both get it. The store is the only thing
// urun's processes share: there is no daemon. Nothing here starts or signals
// a process; liveness is read from /proc (pid plus start time, so a reused pid
// is not mistaken for the container), and a record whose processes are gone
// reads as exited. Records of foreground runs that died without removing
// theirs (SIGKILL) are collected by the next List or Lookup.
//
// It is a leaf: it knows nothing of the container, monitor or cmd packages.
package store
