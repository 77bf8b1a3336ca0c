#!/bin/sh
# bench-pty.sh [WORK] (as root): terminal throughput. MB/s of `cat` of a
# large file through a pseudo-terminal: inside a container through urun's
# relay (`script -qc "urun -t ROOTFS cat FILE"`: cat -> the container's
# pty -> urun -> script's pty -> script) against the host reference
# (`script -qc "cat FILE"`: cat -> script's pty -> script), as the test user.
# urun's path has two terminals where the reference has one, so it also
# times two nested scripts (two terminals, two relays, no container): the
# price of the second terminal, against which urun's relay is judged.
# WORK is bench.sh's directory (urun and a rootfs); without it the script
# makes its own from bin/urun.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-pty: run as root (it drops to the test user uruntest)" >&2; exit 1; }
command -v script >/dev/null || apt-get install -y -qq bsdutils >/dev/null
uid=$(id -u uruntest) gid=$(id -g uruntest)
as_user() { setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"; }
. hack/benchwork.sh
bench_work bench-pty "$@"
mb=${BENCH_PTY_MB:-128}
runs=${BENCH_RUNS_PTY:-3}
big=$work/rootfs/pty-bench.txt
# Text lines, as a terminal carries: both paths turn \n into \r\n once.
head -c $((mb * 3 / 4 * 1024 * 1024)) /dev/urandom | base64 -w 76 | head -c $((mb * 1024 * 1024)) >"$big"
chown "$uid:$gid" "$big"
size=$(stat -c %s "$big")

# best SECONDS-OF-THE-FASTEST-RUN of a command given as one string
best() {
	b=""
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(date +%s%N)
		as_user script -qc "$1" /dev/null >/dev/null </dev/null
		t1=$(date +%s%N)
		t=$((t1 - t0))
		if [ -z "$b" ] || [ $t -lt "$b" ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}
mbps() { awk -v s="$size" -v ns="$1" 'BEGIN { printf "%.0f", s / 1048576 / (ns / 1e9) }'; }

echo "== pty throughput: cat of $((size / 1048576)) MiB of text, best of $runs, as uid $uid"
host=$(best "cat $big")
nested=$(best "script -qc 'cat $big' /dev/null")
start=$(best "$work/urun run -t --network none $work/rootfs true")
urun=$(best "$work/urun run -t --network none $work/rootfs cat /pty-bench.txt")
rm -f "$big"
printf '%-32s %8s MB/s  (%d ms)\n' "host: script -qc cat" "$(mbps "$host")" $((host / 1000000))
printf '%-32s %8s MB/s  (%d ms)\n' "host: script in script, cat" "$(mbps "$nested")" $((nested / 1000000))
printf '%-32s %8s MB/s  (%d ms, of which %d ms start-up)\n' "urun -t: cat inside" "$(mbps "$urun")" $((urun / 1000000)) $((start / 1000000))
printf '%-32s %8s MB/s\n' "urun -t, start-up subtracted" "$(mbps $((urun - start)))"
