#!/bin/sh
# setup.sh: the one command for a fresh Debian/Ubuntu machine. It installs what
# is missing (with sudo when you are not root), builds urun, makes a busybox
# rootfs in ./rootfs and drops you into `urun ./rootfs /bin/sh`.
# Set URUN_SETUP_NO_SHELL=1 to stop before the shell (CI does).
set -eu
cd "$(dirname "$0")/.."
# as_root runs a command as root: directly, or with sudo for an ordinary
# user (asked only when something is missing).
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else echo "setup: needs root for: $*; run that as root, or install sudo" >&2; exit 1
	fi
}
pkgs=""
command -v newuidmap >/dev/null || pkgs="$pkgs uidmap"
command -v slirp4netns >/dev/null || pkgs="$pkgs slirp4netns"
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || pkgs="$pkgs busybox-static"
command -v git >/dev/null || pkgs="$pkgs git"
command -v make >/dev/null || pkgs="$pkgs make"
PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || pkgs="$pkgs golang-go"
if [ -n "$pkgs" ]; then
	echo "setup: installing$pkgs"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
fi
# Go fetches the exact toolchain go.mod asks for by itself from Go 1.21 on.
v=$(go env GOVERSION | sed 's/^go//')
case "$v" in
1.[0-9].* | 1.1[0-9]* | 1.20*) echo "setup: Go $v is too old; install Go >= 1.21 (https://go.dev/dl or your distribution's backports)" >&2; exit 1 ;;
esac
# slirp4netns needs /dev/net/tun open to users, as Debian's udev sets it.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	as_root sh hack/tun.sh
fi
user=$(id -un)
if [ "$(id -u)" != 0 ] && ! grep -qs "^$user:\|^$(id -u):" /etc/subuid; then
	echo "setup: $user has no range in /etc/subuid; urun will map only your own id."
	echo "       For full ranges: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $user"
fi
make build
[ -x rootfs/bin/busybox ] || hack/mkrootfs.sh rootfs
[ "${URUN_SETUP_NO_SHELL:-}" = 1 ] && exit 0
echo "setup: starting urun ./rootfs /bin/sh (exit the shell to leave)"
exec bin/urun ./rootfs /bin/sh
