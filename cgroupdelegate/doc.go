// Package cgroupdelegate owns the cgroup side of a container: it asks the systemd
// user manager (or, for root, the system manager) over D-Bus for a transient scope
// with Delegate=yes, sets memory, CPU and pids limits as unit properties, reads the
// effective values back from the delegated cgroup v2 tree, tells whether the
// kernel's OOM killer struck, and stops the scope.
//
// The flow for one container: Precheck (before anything starts: cgroup v2 and a
// manager exist when limits are asked for), Attach (after the init stage's id
// maps are written and before it is released: the stage then unshares its
// cgroup namespace, rooted at the scope), OOMKilled (after the container has
// exited), Close (always). Without cgroup v2 or a manager and without limits,
// Attach returns a nil *Scope, whose methods are no-ops.
//
// It also parses the limit flags (ParseSize, ParseSwap, ParseCPUs: docker's
// syntax) and checks them (Limits.Validate).
//
// It never writes to a cgroup tree: systemd sets the limits, and urun only
// reads the files back. It does not create namespaces or mount the
// container's /sys/fs/cgroup (userns and rootfs do).
package cgroupdelegate
