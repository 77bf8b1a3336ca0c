// Package mount owns the mount plan of a container and carries it out inside the
// init stage: private propagation, the rootfs bind mount or the copy-on-write
// overlay over it, /proc, /dev, /sys, /sys/fs/cgroup, the user's volumes and
// tmpfs, masked and read-only paths, and pivot_root into the rootfs.
//
// The rootfs is hostile: every path inside it is resolved inside it
// (openat2 RESOLVE_IN_ROOT) into a file descriptor, and mounts are made with
// the fd-based mount API onto those descriptors (fd.go). It runs only inside
// the init stage, which already owns a mount namespace; it knows nothing of
// the CLI or of how the spec was made.
package mount
