#!/bin/sh
# bench-exec.sh [WORK] (as root): the latency of `urun exec ID /bin/true`
# into a running container, against its floor: util-linux nsenter into the
# same namespaces (user, mount, PID, network, IPC, UTS, cgroup) running
# /bin/true directly, which is what exec does before its own stage (sealed
# copy of urun, config over a socket, user, capabilities, seccomp). Median of
# N runs as the test user. WORK is bench.sh's directory (urun, bench and a
# rootfs); without it the script makes its own from bin/urun.
# Measured here (2 cores): nsenter 1.7-4 ms, urun exec 21-23 ms (medians); of
# urun's, the sealed copy of its 6 MB binary is 4-9 ms, the store lookup
# 1-2 ms, the stage's Go start-up to its hello 3-7 ms.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-exec: run as root (it drops to the test user uruntest)" >&2; exit 1; }
uid=$(id -u uruntest) gid=$(id -g uruntest)
. hack/benchwork.sh
bench_work bench-exec "$@"
n=${BENCH_RUNS:-30}
# The bench tool runs its commands with HOME=/tmp and no XDG_RUNTIME_DIR:
# the container is started the same way, so exec finds it in the same store.
setpriv --reuid="$uid" --regid="$gid" --clear-groups env -i PATH=/usr/bin:/bin HOME=/tmp \
	"$work/urun" run -q --network none "$work/rootfs" sleep 1000 </dev/null >/dev/null 2>&1 &
runpid=$!
stop() { kill -TERM "$runpid" 2>/dev/null || true; wait "$runpid" 2>/dev/null || true; }
trap 'stop; [ -z "$own_work" ] || rm -rf "$work"' EXIT
rec=""
i=0
while [ $i -lt 600 ]; do
	rec=$(grep -l "\"monitorPid\":$runpid," /tmp/urun-"$uid"/*/state.json 2>/dev/null | xargs -r grep -l '"status":"running"' | head -1 || true)
	[ -n "$rec" ] && break
	sleep 0.05
	i=$((i + 1))
done
[ -n "$rec" ] || { echo "bench-exec: the container did not start" >&2; exit 1; }
id=$(basename "$(dirname "$rec")")
pid=$(grep -o '"pid":[0-9]*' "$rec" | cut -d: -f2)
echo
echo "== exec into a running container: /bin/true, as uid $uid"
"$work/bench" -n "$n" -uid "$uid" -gid "$gid" -base nsenter \
	"nsenter=nsenter -t $pid -U -m -p -n -i -u -C --preserve-credentials /bin/true" \
	"urun=$work/urun exec $id /bin/true"
