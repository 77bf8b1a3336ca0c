#!/usr/bin/env bash
# podman.sh [RUNTIME] (as root): rootless podman from apt driving RUNTIME
# (default: crun) as the unprivileged test user, on a busybox rootfs
# (--rootfs, no image store, no registry). One line per check:
# PASS/FAIL NAME. The host has no systemd user manager, so podman runs
# with --cgroup-manager=cgroupfs --events-backend=file; crun refuses this
# host's v1/v2 hybrid cgroups, so everything runs in a private mount
# namespace without the v2 mount (the host's mounts are never touched).
# Everything podman leaves for the user (storage, state: system reset; its
# pause process and conmon: the PID namespace) is removed at the end. Hold
# the integration lock while it runs: it uses the shared test user.
set -uo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "podman.sh: run as root (it drops to uruntest)" >&2; exit 1; }
runtime=$(readlink -f "${1:-$(command -v crun)}")
hack/mkuser.sh >/dev/null
hack/tun.sh >/dev/null
user=uruntest uid=$(id -u uruntest) gid=$(id -g uruntest)
work=$(mktemp -d /tmp/urun-podman.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/rootfs" "$work/home" "$work/xdg"
chown "$uid:$gid" "$work/rootfs" "$work/home" "$work/xdg"
chmod 700 "$work/xdg"
setpriv --reuid="$uid" --regid="$gid" --clear-groups hack/mkrootfs.sh "$work/rootfs" >/dev/null
cleanup() {
	rm -rf "$work"
}
as() {
	setpriv --reuid="$uid" --regid="$gid" --init-groups env -i HOME="$work/home" USER=$user \
		XDG_RUNTIME_DIR="$work/xdg" PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
export -f as
export work uid gid user
p="podman --runtime $runtime --cgroup-manager=cgroupfs --events-backend=file --storage-driver=vfs"
checks=$(cat <<'CHECKS'
check() { name=$1; shift; if out=$("$@" 2>&1); then echo "PASS $name"; else echo "FAIL $name: $(echo "$out" | tail -3 | tr '\n' ' ')"; fi; }
expect() { want=$1; shift; out=$("$@" 2>&1); [ "$out" = "$want" ] || { echo "got: $out"; return 1; }; }
status() { want=$1; shift; "$@" >/dev/null 2>&1; rc=$?; [ $rc = "$want" ] || { echo "status $rc, want $want"; return 1; }; }
R=$work/rootfs
check run-echo expect hi as $P run --rm --network none --rootfs $R /bin/echo hi
check exit-status status 3 as $P run --rm --network none --rootfs $R /bin/sh -c 'exit 3'
check not-found status 127 as $P run --rm --network none --rootfs $R /nonexistent
check user-in-container expect 0 as $P run --rm --network none --rootfs $R /bin/sh -c 'id -u'
check subuid-map expect "100000" as sh -c "$P run --rm --network none --rootfs $R /bin/cat /proc/self/uid_map | awk 'NR==2{print \$2}'"
check detach-ps-stop as sh -c "id=\$($P run -d --network none --rootfs $R /bin/sleep 600) && $P ps -q --no-trunc | grep -q \$id && $P stop -t 1 \$id >/dev/null && $P rm \$id >/dev/null"
check exec as sh -c "id=\$($P run -d --network none --rootfs $R /bin/sleep 600) && out=\$($P exec \$id /bin/echo inside) && $P rm -f -t 0 \$id >/dev/null && [ \"\$out\" = inside ]"
# The sleep: podman's own attach race loses the whole output of an -it
# command that exits at once (podman#9859, where podman's tests add the same
# sleep); under load here it lost it 2-3 times in 20 with urun and once in
# 20 with crun, and never with the sleep (20 of 20 with urun).
check tty-it as sh -c "script -qec '$P run --rm -it --network none --rootfs $R /bin/sh -c \"tty; sleep 1; exit 0\"' /dev/null | grep -q /dev/pts/0"
check slirp-publish as sh -c "id=\$($P run -d --network slirp4netns -p 127.0.0.1:18080:8080 --rootfs $R /bin/sh -c 'echo hello | nc -l -p 8080') && for i in 1 2 3 4 5 6 7 8 9 10; do out=\$(busybox nc 127.0.0.1 18080 </dev/null); [ -n \"\$out\" ] && break; sleep 1; done; $P rm -f -t 0 \$id >/dev/null; [ \"\$out\" = hello ]"
# Inside the namespaces, where the pause process lives: an outer reset
# would start a new one.
as $P system reset -f >/dev/null 2>&1
CHECKS
)
# rshared after the unmount: podman wants a shared /, and the new namespace's
# mounts then form peer groups of their own, never the host's. A PID
# namespace too: whatever podman leaves running (its pause process, conmon)
# dies with it.
unshare -m -p --fork --mount-proc bash -c 'umount /sys/fs/cgroup/unified 2>/dev/null || true; mount --make-rshared /; exec bash -c "$0"' "P='$p'; $checks" | tee "$work/out"
rc=$?
# The status is the checks': a check that failed fails the script.
grep -q '^FAIL' "$work/out" && rc=1
grep -q '^PASS' "$work/out" || rc=1
cleanup
exit $rc
