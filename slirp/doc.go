// Package slirp owns the slirp4netns process that gives a rootless container its
// network: probing the installed version, its flags, the ready and exit fds, the
// API socket (add_hostfwd for published ports) and the resolv.conf and hosts
// values that go with it.
//
// It also parses the user's network flags: --network (podman's spelling,
// ParseNetwork), -p/--publish (docker's syntax, ParsePublish), --add-host
// (ParseAddHost) and --dns (ParseDNS).
//
// The container sees tap0 with 10.0.2.100/24, a default route via 10.0.2.2
// (the host) and a DNS forwarder at 10.0.2.3 (other addresses with
// cidr=). By default slirp4netns runs with --disable-host-loopback, so the
// container cannot reach services bound to the host's 127.0.0.1;
// allow_host_loopback=true opens that up through 10.0.2.2.
//
// Known limitation of libslirp (podman#4586): with host loopback disabled,
// the container's UDP replies to a client on the host's loopback are
// dropped, so a UDP port published with -p answers clients that use another
// address of the host (or other machines), and clients on 127.0.0.1 only
// with allow_host_loopback=true. TCP is not affected.
//
// It does not create namespaces, write files into the rootfs or mount
// anything: the caller writes ResolvConf and Hosts into the run's state
// directory and bind-mounts them, and starts slirp4netns once the
// container's user namespace has its id maps.
package slirp
