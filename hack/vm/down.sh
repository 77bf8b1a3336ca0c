#!/bin/bash
# For development: stops a VM started by hack/vm/up.sh.
#
#   hack/vm/down.sh RUN_DIR
set -euo pipefail
# shellcheck source=hack/vm/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
[ $# -eq 1 ] || { echo "usage: $0 RUN_DIR" >&2; exit 2; }
vm_attach "$1"
vm_stop
