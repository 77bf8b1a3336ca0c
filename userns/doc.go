// Package userns starts the init stage of a container in new namespaces and runs
// that stage. It owns the clone (one clone makes the user namespace and, owned by
// it, the PID, UTS, mount, IPC and network namespaces), the sync protocol between
// the host-side parent and the init stage (config pipe, error pipe), and the init
// stage entry point that unshares the cgroup namespace, sets up the root filesystem
// (through package mount), drops capabilities and execs the command.
//
// It does not plan id maps (idmap), talk to systemd (cgroupdelegate) or run
// slirp4netns (slirp).
package userns
