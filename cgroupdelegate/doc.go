// Package cgroupdelegate owns the cgroup side of a container: it asks the systemd
// user manager (or, for root, the system manager) over D-Bus for a transient scope
// with Delegate=yes, sets memory, CPU and pids limits as unit properties, reads the
// effective values back from the delegated cgroup v2 tree, watches OOM events and
// stops the scope.
//
// It never writes to a cgroup tree it was not delegated.
package cgroupdelegate
