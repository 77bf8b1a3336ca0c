#!/bin/sh
# bench-oci.sh [WORK] (as root): urun as an OCI runtime against crun and runc
# from apt, on the same bundle: `RUNTIME create` + `start` + `delete --force`
# of /bin/true (the measure youki's README publishes), and `RUNTIME run
# --bundle` (create, start and wait in one call), medians of N runs and
# ratios to crun (hack/bench interleaves the runs where it can).
#
# All three run the same way, and none can touch the host's cgroups (they
# belong to the machine's supervisor): as root of a user namespace that the
# test user makes with its subordinate ids (0 = uruntest, as rootless podman
# calls a runtime), where the kernel refuses every write to the host's
# cgroup files, in a private mount namespace without the host's cgroup2
# mount (crun refuses this host's v1/v2 hybrid). crun also gets
# --cgroup-manager=disabled, which is what runc and urun end up with there.
#
# WORK is bench.sh's directory (urun, bench and a busybox rootfs owned by the
# test user); without it the script makes its own from bin/urun. Hold the
# integration lock when you run it alone: it uses the shared test user.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-oci: run as root (it drops to the test user uruntest)" >&2; exit 1; }
. hack/benchwork.sh
bench_need crun:crun runc:runc
hack/mkuser.sh >/dev/null
uid=$(id -u uruntest) gid=$(id -g uruntest)
bench_work bench-oci "$@"
n=${BENCH_RUNS:-30}
b=$work/oci
rm -rf "$b"
mkdir -p "$b/bundle" "$b/urun" "$b/crun" "$b/runc"
chown -R "$uid:$gid" "$b" && chmod 700 "$b/urun" "$b/crun" "$b/runc"
crun=$(command -v crun) runc=$(command -v runc)
# One script per runtime and measure, so that bench times the steps as one
# run; all three pay the same sh. The container's stdio is a file: create
# hands it to the container, which holds it until start, and bench's
# warm-up reads its output from a pipe to the end.
steps() { # NAME RUNTIME [GLOBAL FLAGS...]
	name=$1
	shift
	cat >"$b/$name-csd.sh" <<EOF
#!/bin/sh
set -e
$* --root $b/$name create --bundle $b/bundle bench >$b/$name.out 2>&1 || { cat $b/$name.out; exit 1; }
$* --root $b/$name start bench
$* --root $b/$name delete --force bench
EOF
	cat >"$b/$name-run.sh" <<EOF
#!/bin/sh
exec $* --root $b/$name run --bundle $b/bundle benchrun
EOF
	chmod 755 "$b/$name-csd.sh" "$b/$name-run.sh"
}
steps urun "$work/urun"
steps crun "$crun" --cgroup-manager=disabled
steps runc "$runc"
u1="urun=$b/urun-csd.sh" u2="urun=$b/urun-run.sh"
# A urun without the OCI verbs would take `create` for an image to pull.
if ! "$work/urun" create --help 2>&1 | grep -q -- --bundle; then
	echo "bench-oci: this urun has no OCI create --bundle; timing crun and runc only" >&2
	u1="" u2=""
fi
# The bundle: runc's rootless config, made inside the user namespace (so its
# one-id map is 0 -> 0 there), /bin/true without a terminal on the shared
# rootfs. Then the bench, inside the same namespaces.
inner=$(cat <<EOF
set -e
cd $b/bundle
$runc spec --rootless
sed -i -e 's|"path": "rootfs"|"path": "$work/rootfs"|' -e 's|"terminal": true|"terminal": false|' \
	-e 's|"sh"\$|"/bin/true"|' config.json
echo "== OCI runtime: create + start + delete --force of /bin/true, same bundle, as root of uid $uid's user namespace"
$work/bench -n $n -base crun $u1 crun=$b/crun-csd.sh runc=$b/runc-csd.sh
echo
echo "== OCI runtime: run --bundle of /bin/true (create, start, wait), same bundle and namespaces"
$work/bench -n $n -base crun $u2 crun=$b/crun-run.sh runc=$b/runc-run.sh
EOF
)
echo
chown -R "$uid:$gid" "$b" && chmod 700 "$b/urun" "$b/crun" "$b/runc"
unshare -m -p --fork --mount-proc sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null || true
	exec setpriv --reuid="$1" --regid="$2" --init-groups env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp \
		unshare --user --map-root-user --map-auto --mount sh -c "$3"' sh "$uid" "$gid" "$inner"
