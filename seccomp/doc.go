// Package seccomp turns seccomp profiles into classic BPF and loads them, in
// pure Go (no libseccomp, no cgo).
//
// It owns three things: the profiles (the default one, with docker's and
// podman's meaning, from github.com/moby/profiles/seccomp, and a user's file
// in docker's JSON format or as an OCI LinuxSeccomp), both resolved against
// the container's capabilities and the host's arch and kernel into an OCI
// specs.LinuxSeccomp; the compiler from a specs.LinuxSeccomp to a Program,
// which the host-side parent runs; and Program.Load, the one seccomp(2) call
// the init stage makes last before it execs the command.
//
// It knows nothing of containers, the CLI or the init stage's protocol: the
// caller decides when to compile and when to load (see userns).
package seccomp
