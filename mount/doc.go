// Package mount owns the mount plan of a container and carries it out inside the
// init stage: private propagation, the rootfs bind mount, /proc, /dev, /sys,
// masked and read-only paths, extra bind mounts, and pivot_root into the rootfs.
//
// It runs only inside the init stage, which already owns a mount namespace.
package mount
