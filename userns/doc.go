// Package userns starts the init stage of a container in new namespaces and runs
// that stage. It owns the clone (one clone makes the user namespace and, owned by
// it, the PID, UTS, mount, IPC and network namespaces), the sync protocol between
// the host-side parent and the init stage (config pipe, error pipe), and the init
// stage entry point that unshares the cgroup namespace, joins a fresh session
// keyring, sets up the root filesystem (through package mount), drops
// capabilities and execs the command.
//
// The init stage never runs from urun's host binary: Start executes it from a
// sealed memfd copy (sealed.go), so nothing in the container's namespaces
// (its /proc/1/exe, a #!/proc/self/exe script) leads to the host file
// (CVE-2019-5736), and the stage is non-dumpable from the moment the id maps
// are written until its exec of the command.
//
// It also owns the exec stage (exec.go, enter.go): `urun exec` joins a running
// container through util-linux nsenter (Go cannot setns into a user or mount
// namespace), which executes the stage from the same kind of sealed copy; the
// stage applies the container's process settings through the init stage's
// own code (startProcess) and execs the command.
//
// It does not plan id maps (idmap), talk to systemd (cgroupdelegate) or run
// slirp4netns (slirp).
package userns
