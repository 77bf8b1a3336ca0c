// Package hostcheck answers "what does this host give me?" for `urun check`:
// subordinate id ranges, the setuid id-map helpers, unprivileged user
// namespaces, cgroup v2 and the controllers delegated to the user's systemd
// manager, slirp4netns and /dev/net/tun. Every probe is read-only and uses the
// real thing (it clones a user namespace, dials the manager's bus, opens the
// tun device); every finding that is not OK says what to do about it.
//
// It does not change anything on the host and never writes to /sys/fs/cgroup.
package hostcheck
