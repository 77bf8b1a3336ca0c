#!/bin/bash
# For development: runs a command in a VM left running by hack/vm/up.sh, as the
# test user (or root with --root), from /mnt/urun; exits with its status.
#
#   hack/vm/exec.sh RUN_DIR [--root] COMMAND [ARG...]
set -euo pipefail
# shellcheck source=hack/vm/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
[ $# -ge 2 ] || { echo "usage: $0 RUN_DIR [--root] COMMAND [ARG...]" >&2; exit 2; }
vm_attach "$1"
shift
as=vm_exec
if [ "$1" = --root ]; then
	as=vm_root
	shift
fi
$as sh -c 'cd /mnt/urun && exec "$@"' sh "$@"
