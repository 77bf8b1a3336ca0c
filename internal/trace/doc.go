// Package trace records a per-phase timeline of one urun run when URUN_TRACE
// is set: the host-side parent's phases, and the init stage's, which is a
// fresh process and sends its own over a pipe (a Stage). Timestamps are
// CLOCK_MONOTONIC, which every process on the host shares (urun makes no
// time namespace), so the stage's marks line up with the parent's.
//
// URUN_TRACE=1 measures from the moment this package initialises (the Go
// runtime is up, the first package inits run); URUN_TRACE=NS, a
// CLOCK_MONOTONIC reading in nanoseconds taken by the caller just before it
// started urun (hack/bench does), measures from there, so the exec of urun
// and the Go runtime's own start show too. The timeline is printed to stderr
// when urun ends (Flush), as lines starting with "urun-trace:".
//
// Off, every call is one branch on a bool: nothing is allocated, read or
// written. The package knows nothing of urun's other packages.
package trace
