#!/bin/bash
# Installs what the VM test bed needs on a fresh Debian host: qemu (TCG is
# enough; KVM is used only when it is real hardware KVM), debootstrap to build the
# guest from the host's own apt mirror, ssh to reach the guest, e2fsprogs for
# mkfs.ext4 -d (an image without loop mounts). Idempotent: does nothing when all
# tools are present.
set -euo pipefail

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v unshare >/dev/null || need+=(util-linux)
command -v flock >/dev/null || need+=(util-linux)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)

if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "hack/vm/deps.sh: missing ${need[*]}; run as root (apt-get install) or install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Only the first install on a fresh machine needs fresh lists; try without first.
if ! apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y --no-install-recommends "${need[@]}"
fi
