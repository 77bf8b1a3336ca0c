#!/bin/bash
# Builds (or reuses) the VM test bed's guest: Debian bookworm made with
# debootstrap from the host's own apt mirror, systemd as PID 1 on pure cgroup v2,
# a lingering test user (uruntest, uid 1001) with subordinate id ranges, and a
# user@.service drop-in that delegates cpu, cpuset, io, memory and pids.
#
# Output: prints the image directory on stdout. It holds rootfs.raw (ext4, made
# with mkfs.ext4 -d: no loop mounts), vmlinuz, initrd.img and the ssh key id_vm.
# Cache: $URUN_VM_CACHE (default /var/cache/urun-vm). The key is a hash of this
# script, so editing it rebuilds the image; the .deb cache survives rebuilds.
# Needs root (debootstrap, chroot) and hack/vm/deps.sh's tools.
set -euo pipefail

CACHE=${URUN_VM_CACHE:-/var/cache/urun-vm}
SELF=$(readlink -f "${BASH_SOURCE[0]}")
KEY=$(sha256sum "$SELF" | cut -c1-16)
IMG=$CACHE/img-$KEY
VM_USER=uruntest
VM_UID=1001

log() { echo "build-image: $*" >&2; }

if [ -f "$IMG/ready" ]; then
	echo "$IMG"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	log "the guest image is not built yet and building it needs root (debootstrap, chroot)"
	exit 1
fi

# The host's own Debian mirror: deb822 sources first, then the one-line format.
mirror() {
	if [ -n "${URUN_VM_MIRROR:-}" ]; then
		echo "$URUN_VM_MIRROR"
		return
	fi
	local f u
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		u=$(awk '/^URIs:/ {print $2; exit}' "$f")
		if [ -n "$u" ]; then
			echo "$u"
			return
		fi
	done
	u=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
	echo "${u:-http://deb.debian.org/debian}"
}

mkdir -p "$CACHE/debs"
exec 9>"$CACHE/build.lock"
flock 9
# Another run may have finished the build while we waited for the lock.
if [ -f "$IMG/ready" ]; then
	echo "$IMG"
	exit 0
fi

start=$(date +%s)
WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
MIRROR=$(mirror)
log "debootstrap bookworm from $MIRROR (debs cached in $CACHE/debs)"

PKGS=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,uidmap,slirp4netns,iproute2
PKGS=$PKGS,linux-image-amd64,initramfs-tools,busybox-static,openssh-server,procps,kmod,udev
PKGS=$PKGS,util-linux,ca-certificates,less
# containerd and runc: hack/oci/containerd.sh runs there as root, where the
# cgroups are the guest's own (the host's belong to its supervisor).
PKGS=$PKGS,containerd,runc

# Everything that mounts (debootstrap's /proc and /sys in the target, our own
# binds) happens in a private mount namespace, so an interrupted build leaves
# no mount behind on the host.
unshare --mount --propagation private -- \
	debootstrap --variant=minbase --include="$PKGS" --cache-dir="$CACHE/debs" \
	bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
	log "debootstrap failed; last lines of its log:"
	tail -n 30 "$WORK/debootstrap.log" >&2
	[ -f "$ROOT/debootstrap/debootstrap.log" ] && tail -n 30 "$ROOT/debootstrap/debootstrap.log" >&2
	exit 1
}
log "debootstrap done in $(($(date +%s) - start)) s"

# --- configuration: plain file writes, chroot only for tools that must run inside
echo urun-vm >"$ROOT/etc/hostname"
cat >"$ROOT/etc/hosts" <<'H'
127.0.0.1 localhost
127.0.1.1 urun-vm
::1 localhost ip6-localhost ip6-loopback
H
cat >"$ROOT/etc/fstab" <<'F'
/dev/vda / ext4 rw,errors=remount-ro 0 1
F
cat >"$ROOT/etc/apt/sources.list" <<S
deb $MIRROR bookworm main
S

# Network: qemu's user-mode network, static so boot does not wait for DHCP.
mkdir -p "$ROOT/etc/systemd/network"
cat >"$ROOT/etc/systemd/network/10-eth0.network" <<'N'
[Match]
Name=eth0

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
DNS=10.0.2.3
N
ln -sf /lib/systemd/system/systemd-networkd.service \
	"$ROOT/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
echo "nameserver 10.0.2.3" >"$ROOT/etc/resolv.conf"

# Units that only cost time in a throwaway VM (containerd.sh starts a private
# containerd of its own).
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer systemd-networkd-wait-online.service serial-getty@ttyS0.service \
	getty@tty1.service systemd-timesyncd.service containerd.service; do
	ln -sf /dev/null "$ROOT/etc/systemd/system/$u"
done

# Small initrd: only what mounts an ext4 root on virtio-blk.
sed -i 's/^MODULES=.*/MODULES=list/' "$ROOT/etc/initramfs-tools/initramfs.conf"
cat >"$ROOT/etc/initramfs-tools/modules" <<'M'
virtio_pci
virtio_blk
ext4
crc32c_generic
M

# The test user: subordinate ids, lingering (its user manager starts at boot),
# and ssh access with a key made here and kept next to the image.
chroot "$ROOT" /usr/sbin/useradd -m -u "$VM_UID" -U -s /bin/bash "$VM_USER"
echo "$VM_USER:200000:65536" >"$ROOT/etc/subuid"
echo "$VM_USER:200000:65536" >"$ROOT/etc/subgid"
mkdir -p "$ROOT/var/lib/systemd/linger"
: >"$ROOT/var/lib/systemd/linger/$VM_USER"

mkdir -p "$ROOT/etc/systemd/system/user@.service.d"
cat >"$ROOT/etc/systemd/system/user@.service.d/delegate.conf" <<'D'
# Give the user manager every controller a container limit needs
# (bookworm's systemd delegates only memory and pids by default).
[Service]
Delegate=cpu cpuset io memory pids
D

ssh-keygen -q -t ed25519 -N '' -C urun-vm -f "$WORK/id_vm"
for home in "/home/$VM_USER" /root; do
	mkdir -p "$ROOT$home/.ssh"
	cp "$WORK/id_vm.pub" "$ROOT$home/.ssh/authorized_keys"
	chmod 700 "$ROOT$home/.ssh"
	chmod 600 "$ROOT$home/.ssh/authorized_keys"
done
chroot "$ROOT" chown -R "$VM_USER:$VM_USER" "/home/$VM_USER/.ssh"
cat >"$ROOT/etc/ssh/sshd_config.d/urun.conf" <<'C'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
MaxSessions 64
MaxStartups 64
C
# Host keys: debootstrap's openssh-server postinst normally made them.
chroot "$ROOT" ssh-keygen -A >/dev/null
mkdir -p "$ROOT/mnt/urun"

# Rebuild the initrd with the short module list (needs /proc and /sys inside).
unshare --mount --propagation private -- sh -c '
	mount -t proc proc "$1/proc" && mount -t sysfs sysfs "$1/sys" &&
	chroot "$1" update-initramfs -u -k all' sh "$ROOT" >"$WORK/initramfs.log" 2>&1 || {
	log "update-initramfs failed:"
	tail -n 30 "$WORK/initramfs.log" >&2
	exit 1
}

rm -rf "$ROOT/var/cache/apt/archives/"*.deb "$ROOT/var/lib/apt/lists/"*_Packages
mkdir -p "$WORK/out"
cp "$(readlink -f "$ROOT/vmlinuz")" "$WORK/out/vmlinuz"
cp "$(readlink -f "$ROOT/initrd.img")" "$WORK/out/initrd.img"
cp "$WORK/id_vm" "$WORK/id_vm.pub" "$WORK/out/"
mkfs.ext4 -q -F -L urunroot -d "$ROOT" "$WORK/out/rootfs.raw" 3G >&2
chmod 0644 "$WORK/out/rootfs.raw" "$WORK/out/vmlinuz" "$WORK/out/initrd.img"
chmod 0600 "$WORK/out/id_vm"

# Publish atomically and drop images of older versions of this script.
rm -rf "$IMG"
mv "$WORK/out" "$IMG"
: >"$IMG/ready"
for old in "$CACHE"/img-*; do
	[ "$old" = "$IMG" ] || rm -rf "$old"
done
log "image ready in $(($(date +%s) - start)) s: $IMG"
echo "$IMG"
