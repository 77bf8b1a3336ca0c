#!/usr/bin/env bash
# baseline.sh OUTDIR MODE NAME RUNTIME [FLAGS...] (as root): the runtime-tools
# validation suite (install.sh builds it) against RUNTIME with FLAGS, in
# MODE:
#   root    as the host's root;
#   userns  as root of a new user namespace made by the test user uruntest
#           (0 = uruntest, 1..65535 = its subordinate ids), the way rootless
#           podman calls its runtime; hold the integration lock
#           (flock /tmp/urun-it.lock), the test user is shared.
# Both run in a private mount namespace without the host's cgroup2 mount
# (crun refuses this host's v1/v2 hybrid, and nothing the tests mount
# reaches the host) and a PID namespace of their own: when the suite ends,
# the kernel kills whatever a failed test left (a created container waiting
# for its start), so nothing is left behind for the test user. Results:
# OUTDIR/NAME-MODE.txt (one line per test, see validation.sh) and OUTDIR/NAME-MODE/ (each test's TAP).
#
# The host's /sys/fs/cgroup belongs to the machine's supervisor and must not
# be written: as root, give a runtime a flag that keeps it off cgroups
# (crun --cgroup-manager=disabled; runc has none, so runc runs in userns
# mode only, where the kernel refuses it the host's cgroup files).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "baseline.sh: run as root" >&2; exit 1; }
out=${1:?usage: baseline.sh OUTDIR root|userns NAME RUNTIME [FLAGS...]}
mode=${2:?} name=${3:?}
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/urun-oci-baseline.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir "$work/state" "$work/tmp"
# A runtime state directory is private (runc makes its own 0700; urun
# refuses one that others can read).
chmod 700 "$work/state"
# The runtime's state directory is the wrapper's, not the runtime's
# default (/run/crun, /run/runc), so two runs never meet.
printf '#!/bin/sh\nexec %s --root %s' "$(printf '%q ' "$1")" "$work/state" >"$work/runtime"
shift
[ $# -gt 0 ] && printf ' %q' "$@" >>"$work/runtime"
printf ' "$@"\n' >>"$work/runtime"
chmod 755 "$work/runtime"
res=$out/$name-$mode
rm -rf "$res"
mkdir -p "$res"
run="TMPDIR=$work/tmp $here/validation.sh $work/runtime $res"
case $mode in
root)
	unshare -m -p --fork --mount-proc bash -c "umount /sys/fs/cgroup/unified 2>/dev/null || true; $run" >"$res.txt"
	;;
userns)
	# As the test user (hold the integration lock: it is shared), root
	# of a user namespace with its /etc/subuid range (unshare --map-auto
	# uses newuidmap): the runtime can never write a host cgroup file.
	uid=$(id -u uruntest) gid=$(id -g uruntest)
	chown -R "$uid:$gid" "$work/state" "$work/tmp" "$res"
	unshare -m -p --fork --mount-proc bash -c "umount /sys/fs/cgroup/unified 2>/dev/null || true
		setpriv --reuid=$uid --regid=$gid --init-groups env HOME=$work/tmp XDG_RUNTIME_DIR=$work/state \
			unshare --user --map-root-user --map-auto --mount bash -c '$run'" >"$res.txt"
	;;
*)
	echo "baseline.sh: mode $mode: use root or userns" >&2
	exit 1
	;;
esac
tail -1 "$res.txt"
