#!/bin/bash
# Boots the VM test bed, runs one command in it as the unprivileged test user
# (uruntest, uid 1001, lingering, with its own systemd user manager) with
# SHARE_DIR mounted read-only at /mnt/urun (the working directory), prints its
# output, stops the VM and exits with the command's status.
#
#   hack/vm/run.sh [--root] SHARE_DIR -- COMMAND [ARG...]
#
# --root runs the command as root in the guest instead. The guest image is
# built on first use (needs root) and cached under $URUN_VM_CACHE
# (default /var/cache/urun-vm). Other knobs: URUN_VM_BOOT_TIMEOUT (s, 300),
# URUN_VM_MEM (MiB, 2048), URUN_VM_SMP (2), URUN_VM_KVM=no, URUN_VM_KEEP_LOG=FILE
# (keep the guest console log). Exit status 255 means ssh or the VM failed.
set -euo pipefail
# shellcheck source=hack/vm/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
	echo "usage: $0 [--root] SHARE_DIR -- COMMAND [ARG...]" >&2
	exit 2
}
as=vm_exec
if [ "${1:-}" = --root ]; then
	as=vm_root
	shift
fi
if [ $# -lt 3 ] || [ "$2" != -- ]; then
	usage
fi
share=$1
shift 2

trap vm_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
vm_start "$share" || exit 255
set +e
$as sh -c 'cd /mnt/urun && exec "$@"' sh "$@"
status=$?
set -e
exit "$status"
