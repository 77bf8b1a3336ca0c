#!/usr/bin/env bash
# containerd.sh RUNTIME (as root): containerd from apt with RUNTIME as the
# runc binary of the io.containerd.runc.v2 shim: `ctr run --rootfs` of a
# busybox rootfs (no image, no snapshotter), exit status, `ctr task exec`,
# kill and delete. One line per check: PASS/FAIL NAME. A private containerd
# (own root, state and socket under a temporary directory, CRI disabled),
# stopped by its pid at the end.
#
# NOT RUN on the development hosts: as root, containerd's cgroups monitor and
# the shim's OOM watch write to the host's v1 cgroup files (event_control),
# and runc puts containers in host cgroups; those hosts' /sys/fs/cgroup is
# the machine supervisor's. Run it where cgroups are yours (the VM test bed:
# systemd, pure cgroup v2) or in CI.
set -uo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "containerd.sh: run as root" >&2; exit 1; }
if [ -z "${URUN_OCI_CONTAINERD_OK:-}" ] && [ -d /sys/fs/cgroup/unified ]; then
	echo "containerd.sh: this host has v1/v2 hybrid cgroups that are not ours; set URUN_OCI_CONTAINERD_OK=1 where they are" >&2
	exit 1
fi
runtime=$(readlink -f "${1:-$(command -v runc)}")
work=$(mktemp -d /tmp/urun-containerd.XXXXXX)
mkdir -p "$work/rootfs"
hack/mkrootfs.sh "$work/rootfs" >/dev/null
cat >"$work/config.toml" <<TOML
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd.sock"
TOML
containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
cpid=$!
cleanup() {
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# Every ctr call has a timeout: a runtime whose PID 1 the shim cannot reap
# would leave `ctr run` waiting for an exit forever.
c="timeout 60 ctr --address $work/containerd.sock"
for _ in $(seq 50); do $c version >/dev/null 2>&1 && break; sleep 0.2; done
failed=0
check() { name=$1; shift; if out=$("$@" 2>&1); then echo "PASS $name"; else echo "FAIL $name: $(echo "$out" | tail -3 | tr '\n' ' ')"; failed=1; fi; }
check run-echo sh -c "[ \"\$($c run --rm --runc-binary $runtime --rootfs $work/rootfs echo1 /bin/echo hi)\" = hi ]"
check exit-status sh -c "$c run --rm --runc-binary $runtime --rootfs $work/rootfs exit3 /bin/sh -c 'exit 3'; [ \$? = 3 ]"
# After the kill, wait until the shim has seen the exit (STOPPED), then
# delete: a task is deleted only once it stopped.
check exec-kill-delete sh -c "$c run -d --runc-binary $runtime --rootfs $work/rootfs long /bin/sleep 600 &&
	[ \"\$($c task exec --exec-id e1 long /bin/echo inside)\" = inside ] &&
	$c task kill -s SIGKILL long &&
	for i in \$(seq 100); do $c task ls | grep -q '^long .*STOPPED' && break; sleep 0.1; done &&
	$c task delete long && $c container delete long"
check nothing-left sh -c "[ -z \"\$($c container ls -q)\" ] || { $c container ls; exit 1; }"
[ $failed = 0 ] || { echo "containerd.sh: last lines of containerd's log:" >&2; tail -n 20 "$work/containerd.log" >&2; }
exit $failed
