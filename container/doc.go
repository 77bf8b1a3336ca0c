// Package container orchestrates one run: it validates the spec, prepares the
// state directory, starts the init stage (userns), maps ids (idmap), attaches the
// cgroup scope (cgroupdelegate) and network (slirp), releases the init stage,
// relays signals and the terminal, and returns the exit status. It cleans up
// everything it made on every exit path.
package container
