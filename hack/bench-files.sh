#!/bin/sh
# bench-files.sh WORK (as root, called by hack/bench.sh with its work
# directory: WORK/urun, WORK/bench and a busybox WORK/rootfs owned by the test
# user). Measures, as the unprivileged test user:
#   1. the start-up cost of the files features: /bin/true with --overlay
#      (throwaway upper on a tmpfs), --overlay=DIR (kept on disk), three
#      volumes and --read-only, as ratios to the plain run;
#   2. file-write throughput: dd of 256 MiB with conv=fsync into the plain
#      rootfs, into a throwaway overlay (its upper is a tmpfs: memory) and
#      into a kept overlay on the rootfs's own file system.
set -eu
work=${1:?usage: bench-files.sh WORK}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-files: run as root (it drops to the test user uruntest)" >&2; exit 1; }
uid=$(id -u uruntest) gid=$(id -g uruntest)
as_user() { setpriv --reuid="$uid" --regid="$gid" --clear-groups env -i HOME=/tmp PATH=/usr/bin:/bin:/usr/sbin:/sbin "$@"; }
n=${BENCH_RUNS:-30}
mb=${BENCH_DD_MB:-256}
for d in v1 v2 v3; do
	mkdir -p "$work/$d"
	chown "$uid:$gid" "$work/$d"
done
layer=$work/layer
mkdir -p "$layer"
chown "$uid:$gid" "$layer"
u="$work/urun run --network none"

echo
echo "== files start-up: /bin/true in a new container, as uid $uid"
"$work/bench" -n "$n" -uid "$uid" -gid "$gid" -base plain \
	"plain=$u $work/rootfs /bin/true" \
	"overlay=$u --overlay $work/rootfs /bin/true" \
	"overlay-dir=$u --overlay=$layer $work/rootfs /bin/true" \
	"3volumes=$u -v $work/v1:/v1 -v $work/v2:/v2:ro -v $work/v3:/v3 $work/rootfs /bin/true" \
	"read-only=$u --read-only $work/rootfs /bin/true"

echo
echo "== file writes: dd of $mb MiB, conv=fsync, as uid $uid (overlay: upper on tmpfs; overlay-dir: upper in $work)"
# busybox's dd and date cannot time it inside: the whole run is timed from
# the host (start-up, ~15 ms, included), best of three.
ddrow() {
	name=$1
	shift
	best=""
	for _ in 1 2 3; do
		t0=$(date +%s%N)
		as_user "$@" sh -c "dd if=/dev/zero of=/ddtest bs=1M count=$mb conv=fsync 2>/dev/null && rm /ddtest" ||
			{ echo "$name: dd failed"; return; }
		t=$(($(date +%s%N) - t0))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	awk -v n="$name" -v t="$best" -v mb="$mb" 'BEGIN { printf "%-12s %8.0f ms %8.0f MB/s\n", n, t/1e6, mb/(t/1e9) }'
}
ddrow plain $u "$work/rootfs"
ddrow overlay $u --overlay "$work/rootfs"
ddrow overlay-dir $u --overlay="$layer" "$work/rootfs"
as_user rm -rf "$layer" 2>/dev/null || rm -rf "$layer"
