#!/bin/sh
# bench.sh (as root): start-up time of urun against bwrap and crun, all
# rootless as the test user on the same busybox rootfs, and urun's memory.
# Installs bubblewrap and crun from apt when missing.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root (it drops to the test user uruntest)" >&2; exit 1; }
need=""
command -v bwrap >/dev/null || need="$need bubblewrap"
command -v crun >/dev/null || need="$need crun"
if [ -n "$need" ]; then apt-get install -y -qq $need >/dev/null; fi
hack/mkuser.sh >/dev/null
uid=$(id -u uruntest) gid=$(id -g uruntest)
work=$(mktemp -d /tmp/urun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
install -m 755 bin/urun "$work/urun"
CGO_ENABLED=0 go build -o "$work/bench" ./hack/bench
mkdir "$work/rootfs" "$work/bundle"
chown "$uid:$gid" "$work/rootfs" "$work/bundle"
setpriv --reuid="$uid" --regid="$gid" --clear-groups hack/mkrootfs.sh "$work/rootfs" >/dev/null
# crun's rootless config, pointed at the same rootfs, no terminal.
(cd "$work/bundle" && setpriv --reuid="$uid" --regid="$gid" --clear-groups crun spec --rootless)
sed -i -e 's|"path": "rootfs"|"path": "'"$work"'/rootfs"|' -e 's|"terminal": true|"terminal": false|' \
	-e 's|"sh"$|"/bin/true"|' "$work/bundle/config.json"
mkdir -p "$work/crunstate" && chown "$uid:$gid" "$work/crunstate"
n=${BENCH_RUNS:-30}
echo "== start-up: /bin/true in a new container, as uid $uid"
# crun refuses this host's hybrid cgroups; a private mount namespace without
# the v2 mount makes it run (it never touches the host's mounts).
unshare -m sh -c "umount /sys/fs/cgroup/unified 2>/dev/null || true; exec $work/bench -n $n -uid $uid -gid $gid -base bwrap \
	-rss '$work/urun run --network none $work/rootfs sleep 1' \
	'urun=$work/urun run --network none $work/rootfs /bin/true' \
	'bwrap=bwrap --unshare-all --bind $work/rootfs / --proc /proc --dev /dev /bin/true' \
	'crun=crun --root $work/crunstate run --bundle $work/bundle bench'"
for extra in hack/bench-*.sh; do
	[ -x "$extra" ] && "$extra" "$work"
done
exit 0
