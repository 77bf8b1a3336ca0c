#!/bin/sh
# bench-background.sh WORK (as root, called by hack/bench.sh with its work
# directory: WORK/urun and a busybox WORK/rootfs owned by the test user).
# Measures, as the unprivileged test user:
#   1. `urun run -d` until it returns (the command runs then): median of N;
#   2. the resident memory of each container's monitor (conmon's, the
#      anchor, is a few MiB), with N detached containers running;
#   3. what registering its record costs a foreground run (the store's
#      BenchmarkForegroundRecord, on a tmpfs as $XDG_RUNTIME_DIR is; issue 11
#      allows 1 ms), with an empty store and with 20 other containers.
set -eu
work=${1:?usage: bench-background.sh WORK}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-background: run as root (it drops to the test user uruntest)" >&2; exit 1; }
uid=$(id -u uruntest) gid=$(id -g uruntest)
as_user() { setpriv --reuid="$uid" --regid="$gid" --clear-groups env -i HOME=/tmp PATH=/usr/bin:/bin:/usr/sbin:/sbin "$@"; }
n=${BENCH_RUNS:-30}

echo
echo "== background: urun run -d --network none ROOTFS sleep 1000, as uid $uid ($n containers)"
ids=$work/bg-ids
: > "$ids"
chown "$uid:$gid" "$ids"
as_user sh -c '
	for i in $(seq "$2"); do
		s=$(date +%s%N); "$0" run -d --network none "$1" sleep 1000 >> "$3"; e=$(date +%s%N)
		echo $(( (e - s) / 1000 ))
	done | sort -n | awk "{a[NR]=\$1} END {printf \"run -d to running: median %.1f ms, min %.1f ms, max %.1f ms\n\", a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000}"
' "$work/urun" "$work/rootfs" "$n" "$ids"
# The monitors' RSS: every `urun monitor` of the test user.
ps -u "$uid" -o rss=,args= | awk '$2 ~ /urun$/ && $3 == "monitor" {s += $1; c++; if ($1 > m) m = $1}
	END {if (c) printf "monitor RSS: %d monitors, mean %.1f MiB, max %.1f MiB (conmon: a few MiB)\n", c, s / c / 1024, m / 1024}'
as_user sh -c '"$0" rm -f $(cat "$1") >/dev/null' "$work/urun" "$ids" || echo "bench-background: rm -f of the containers failed" >&2

echo
echo "== foreground record: reserve the name, write the record and config, update to running, remove (tmpfs)"
shm=$(mktemp -d /dev/shm/urun-bench.XXXXXX)
go test -c -o "$work/store.test" ./store
chown "$uid:$gid" "$shm"
as_user env TMPDIR="$shm" "$work/store.test" -test.run XXX -test.bench ForegroundRecord -test.benchtime 2000x |
	awk '/^Benchmark/ {printf "%s: %.3f ms\n", $1, $3 / 1e6}'
rm -rf "$shm"
exit 0
