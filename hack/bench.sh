#!/bin/sh
# bench.sh (as root): start-up time of urun against bwrap and crun, all
# rootless as the test user on the same busybox rootfs, and urun's memory.
# Installs bubblewrap and crun from apt when missing.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root (it drops to the test user uruntest)" >&2; exit 1; }
. hack/benchwork.sh
bench_need bubblewrap:bwrap crun:crun
hack/mkuser.sh >/dev/null
uid=$(id -u uruntest) gid=$(id -g uruntest)
bench_work bench
mkdir "$work/bundle" && chown "$uid:$gid" "$work/bundle"
# crun's rootless config, pointed at the same rootfs, no terminal.
(cd "$work/bundle" && setpriv --reuid="$uid" --regid="$gid" --clear-groups crun spec --rootless)
sed -i -e 's|"path": "rootfs"|"path": "'"$work"'/rootfs"|' -e 's|"terminal": true|"terminal": false|' \
	-e 's|"sh"$|"/bin/true"|' "$work/bundle/config.json"
mkdir -p "$work/crunstate" && chown "$uid:$gid" "$work/crunstate"
n=${BENCH_RUNS:-30}
# BENCH_BEFORE=PATH adds a row of another urun binary (say, main's, built to
# /tmp) to the same interleaved run: before and after, side by side. The
# urun-init beside it goes with it (in a directory of its own: a urun runs
# only the stage of its own build, and would otherwise run itself as one).
before=""
if [ -n "${BENCH_BEFORE:-}" ]; then
	mkdir "$work/before"
	install -m 755 "$BENCH_BEFORE" "$work/before/urun"
	stage=$(dirname "$BENCH_BEFORE")/urun-init
	if [ -f "$stage" ]; then install -m 755 "$stage" "$work/before/urun-init"; fi
	before="urun-before=$work/before/urun run --network none $work/rootfs /bin/true"
fi
echo "== start-up: /bin/true in a new container, as uid $uid, all rows interleaved"
echo "   (the targets of issue 14; a shared machine is noisy: compare rows of this run, not runs)"
# crun refuses this host's hybrid cgroups; a private mount namespace without
# the v2 mount makes it run (it never touches the host's mounts).
# NAME*100 rows time 100 sequential containers per sample (crun's README
# measure: crun 1.69 s, runc 3.34 s on its machine). -reap: bwrap's outer
# process exits while a process of its sandbox still runs (about 8 ms of CPU
# a run here); the bench adopts such processes and waits for them, so that
# cpu/run counts them, while wall time still ends at the command's exit.
unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null || true; exec "$@"' sh \
	"$work/bench" -n "$n" -uid "$uid" -gid "$gid" -base bwrap -trace urun -trace urun-net -reap \
	-rss "$work/urun run --network none $work/rootfs sleep 1" \
	-target 'urun/bwrap<=2.0@min' -target 'urun/crun<=0.8@min' \
	-target 'urun-net/urun<=1.5@median' -target 'urun-net-p/urun<=1.5@median' \
	-target 'urun-100/crun-100<=1.0@median' \
	${before:+"$before"} \
	"urun=$work/urun run --network none $work/rootfs /bin/true" \
	"bwrap=bwrap --unshare-all --bind $work/rootfs / --proc /proc --dev /dev /bin/true" \
	"crun=crun --root $work/crunstate run --bundle $work/bundle bench" \
	"urun-net=$work/urun run $work/rootfs /bin/true" \
	"urun-net-p=$work/urun run -p 127.0.0.1:18933:80 $work/rootfs /bin/true" \
	"urun-100*100=$work/urun run --network none $work/rootfs /bin/true" \
	"crun-100*100=crun --root $work/crunstate run --bundle $work/bundle bench"
# Argument handling must be linear (issue 10, finding 7: 80,000 arguments
# took 39 s). /bin/true ignores them; the median of 5 runs, in ms.
echo
echo "== 100,000 command arguments: urun run --network none ROOTFS /bin/true 1 ... 100000"
setpriv --reuid="$uid" --regid="$gid" --clear-groups sh -c '
	args=$(seq 100000)
	for i in 1 2 3 4 5; do
		s=$(date +%s%N); "$0" run --network none "$1" /bin/true $args; e=$(date +%s%N)
		echo $(( (e - s) / 1000000 ))
	done | sort -n | sed -n 3p | sed "s/\$/ ms (median of 5)/"' "$work/urun" "$work/rootfs"
for extra in hack/bench-*.sh; do
	[ -x "$extra" ] && "$extra" "$work"
done
exit 0
