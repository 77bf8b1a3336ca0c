// Package slirp owns the slirp4netns process that gives a rootless container its
// network: probing the installed version, its flags, the ready and exit fds, the
// API socket (add_hostfwd for published ports) and the resolv.conf and hosts
// values that go with it.
package slirp
