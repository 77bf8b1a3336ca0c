#!/bin/bash
# For development: boots the VM test bed and leaves it running; prints its run
# directory. Use it with hack/vm/exec.sh RUN_DIR [--root] CMD... and stop it
# with hack/vm/down.sh RUN_DIR (nothing else stops it).
#
#   hack/vm/up.sh SHARE_DIR
set -euo pipefail
# shellcheck source=hack/vm/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
[ $# -eq 1 ] || { echo "usage: $0 SHARE_DIR" >&2; exit 2; }
trap 'vm_stop' ERR INT TERM
URUN_VM_NO_WATCHDOG=1 vm_start "$1"
echo "$VM_RUN"
