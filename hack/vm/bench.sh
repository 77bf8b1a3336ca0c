#!/bin/bash
# `make bench` (VM part): what the cgroup scope costs at start-up. In the VM
# test bed, as the unprivileged test user, /bin/true runs in a new container
# N times (BENCH_RUNS, default 20) three ways: without a scope (no user
# manager reachable: XDG_RUNTIME_DIR points nowhere), with a scope and no
# limits, and with a scope and memory, CPU and pids limits. The table is the
# bench tool's (median, min, ratio to the no-scope run). Timings are under
# qemu TCG: compare the rows, not the absolute numbers.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
cd "$here/../.."
"$here/deps.sh"
# shellcheck source=hack/vm/lib.sh
. "$here/lib.sh"
share=$(mktemp -d "${TMPDIR:-/tmp}/urun-vm-share.XXXXXX")
trap 'vm_stop; rm -rf "$share"' EXIT
"$here/stage.sh" "$share"
vm_start "$share"
n=${BENCH_RUNS:-20}
# Binaries run from the guest's disk, not from the 9p share.
u=/tmp/urun-bench
echo "== cgroup scope cost: /bin/true in a new container, in the VM (TCG), as uruntest, $n runs"
vm_exec sh -c "cd /tmp && cp /mnt/urun/urun $u && cp /mnt/urun/bench /tmp/bench && /mnt/urun/mkrootfs.sh bench-rootfs >/dev/null && /tmp/bench -n $n -base no-scope \
	'no-scope=env XDG_RUNTIME_DIR=/nonexistent $u run --network none /tmp/bench-rootfs /bin/true' \
	'scope=$u run --network none /tmp/bench-rootfs /bin/true' \
	'limits=$u run --network none -m 64M --cpus 1 --pids-limit 100 /tmp/bench-rootfs /bin/true'"
