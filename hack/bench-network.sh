#!/bin/sh
# bench-network.sh WORK (as root, called by hack/bench.sh with its work
# directory: WORK/urun, WORK/bench and a busybox WORK/rootfs owned by the test
# user). Measures, as the unprivileged test user:
#   1. the start-up cost of the network: /bin/true with slirp4netns against
#      --network none (and podman with slirp4netns on the same rootfs, when
#      podman is installed);
#   2. TCP throughput through slirp4netns with iperf3 (from apt): container ->
#      host (to 10.0.2.2, which needs allow_host_loopback=true) and host ->
#      container through -p, at urun's MTU 65520 (podman's default too) and at
#      slirp4netns's own default MTU 1500; the host's loopback as the ceiling.
# Everything stays on this machine: loopback and slirp4netns's addresses.
set -eu
work=${1:?usage: bench-network.sh WORK}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-network: run as root (it drops to the test user uruntest)" >&2; exit 1; }
if ! command -v slirp4netns >/dev/null; then
	echo "== network: slirp4netns not installed (apt-get install slirp4netns); skipped"
	exit 0
fi
command -v iperf3 >/dev/null || apt-get install -y -qq iperf3 >/dev/null
hack/tun.sh
uid=$(id -u uruntest) gid=$(id -g uruntest)
as_user() { setpriv --reuid="$uid" --regid="$gid" --clear-groups env -i HOME=/tmp PATH=/usr/bin:/bin:/usr/sbin:/sbin "$@"; }
n=${BENCH_RUNS:-30}
secs=${BENCH_IPERF_SECONDS:-5}

echo
echo "== network start-up: /bin/true in a new container, as uid $uid"
peers=""
if command -v podman >/dev/null; then
	peers="podman-slirp=podman run --rm --network slirp4netns --rootfs $work/rootfs /bin/true"
fi
# podman's crun refuses this host's hybrid cgroups: as bench.sh does for its
# crun row, every row runs in a private mount namespace without the v2 mount
# (nothing of the host's mounts changes).
# shellcheck disable=SC2086 # $peers is one NAME=COMMAND argument or nothing
unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null || true; exec "$@"' sh \
	"$work/bench" -n "$n" -uid "$uid" -gid "$gid" -base none \
	"none=$work/urun run --network none $work/rootfs /bin/true" \
	"slirp4netns=$work/urun run --network slirp4netns $work/rootfs /bin/true" \
	"slirp+p=$work/urun run -p 127.0.0.1:18931:80 $work/rootfs /bin/true" \
	${peers:+"$peers"}
command -v podman >/dev/null || echo "(podman is not installed: no podman row)"
# Rootless podman leaves its pause process (which holds its user namespace)
# running; the integration tests would count it as the test user's leftover.
if pp=$(cat "/tmp/podman-run-$uid/libpod/tmp/pause.pid" 2>/dev/null); then
	kill -9 "$pp" 2>/dev/null || true
fi

# A rootfs with iperf3 and the libraries it links, next to busybox.
rf=$work/rootfs-iperf
if [ ! -d "$rf" ]; then
	mkdir "$rf"
	chown "$uid:$gid" "$rf"
	as_user cp -a "$work/rootfs/." "$rf/"
	ipf=$(command -v iperf3)
	for f in "$ipf" $(ldd "$ipf" | awk '/=>/ {print $3} /^[[:space:]]*\/.*ld-linux/ {print $1}'); do
		mkdir -p "$rf$(dirname "$f")"
		cp -L "$f" "$rf$f"
	done
	chown -R "$uid:$gid" "$rf"
fi

# gbits LINE... prints the receiver's rate of an `iperf3 -f g` report.
gbits() { awk '/receiver/ {for (i = 1; i < NF; i++) if ($(i+1) == "Gbits/sec") print $i}' | tail -n 1; }

port=18932
echo
echo "== TCP throughput (iperf3, ${secs}s, one stream), Gbit/s"
printf "%-48s %8s\n" "path" "Gbit/s"
as_user iperf3 -s -1 -B 127.0.0.1 -p $port >/dev/null 2>&1 &
sleep 0.3
r=$(as_user iperf3 -c 127.0.0.1 -p $port -t "$secs" -f g 2>&1 | gbits)
wait
printf "%-48s %8s\n" "host loopback (no container, the ceiling)" "${r:-failed}"
for mtu in 65520 1500; do
	as_user iperf3 -s -1 -B 127.0.0.1 -p $port >/dev/null 2>&1 &
	sleep 0.3
	r=$(as_user "$work/urun" run -q --network "slirp4netns:allow_host_loopback=true,mtu=$mtu" "$rf" \
		iperf3 -c 10.0.2.2 -p $port -t "$secs" -f g 2>&1 | gbits)
	wait
	printf "%-48s %8s\n" "container -> host, slirp4netns mtu=$mtu" "${r:-failed}"

	# host -> container through -p: iperf3 -s in the container.
	as_user "$work/urun" run -q --network "slirp4netns:mtu=$mtu" -p "127.0.0.1:$port:5201" "$rf" iperf3 -s -1 >/dev/null 2>&1 &
	urun_pid=$!
	r=""
	for _ in $(seq 50); do
		r=$(as_user iperf3 -c 127.0.0.1 -p $port -t "$secs" -f g 2>/dev/null | gbits) && [ -n "$r" ] && break
		sleep 0.1
	done
	wait "$urun_pid" || true
	printf "%-48s %8s\n" "host -> container via -p, slirp4netns mtu=$mtu" "${r:-failed}"
done
echo "(mtu=65520 is urun's and podman's default; 1500 is slirp4netns's own)"
