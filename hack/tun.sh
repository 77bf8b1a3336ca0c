#!/bin/sh
# tun.sh (as root): let users open /dev/net/tun, as Debian's udev rule does
# (mode 0666). slirp4netns needs it to make the container's tap device; the
# machines here have no udev and leave it 0600.
set -eu
[ -c /dev/net/tun ] || { mkdir -p /dev/net; mknod -m 0666 /dev/net/tun c 10 200; }
chmod 0666 /dev/net/tun
