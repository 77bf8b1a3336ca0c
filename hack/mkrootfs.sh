#!/bin/sh
# mkrootfs.sh DIR: make a minimal busybox root file system in DIR from Debian's
# busybox-static package (no docker, no network beyond apt). The tree belongs to
# whoever runs this, which is what a rootless container wants: your files are
# root's files inside.
set -eu
dir=${1:?usage: mkrootfs.sh DIR}
bb=/bin/busybox
# Debian's busybox-static installs a static /bin/busybox; a dynamic one would
# need the host's libraries inside the rootfs.
if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
	echo "mkrootfs: $bb is missing or not static; install it: apt-get install busybox-static" >&2
	exit 1
fi
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home var/tmp run
chmod 1777 tmp var/tmp
chmod 700 root
cp "$bb" bin/busybox
# One link per applet, so the rootfs has sh, ls, vi, httpd, ...
for app in $(bin/busybox --list-full); do
	[ -e "$app" ] || ln -s /bin/busybox "$app"
done
cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > etc/group <<'G'
root:x:0:
tty:x:5:
nogroup:x:65534:
G
: > etc/hosts
: > etc/resolv.conf
echo urun > etc/hostname
echo "mkrootfs: busybox rootfs ready in $dir"
