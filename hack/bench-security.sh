#!/bin/sh
# bench-security.sh WORK (as root, called by hack/bench.sh with its work
# directory): what the boundary costs at start-up. /bin/true as the test user,
# --network none, side by side in one run:
#   before      urun as it was before the sealed binary and seccomp
#               (commit 955a236, built from this repository's history)
#   urun        today's default: sealed binary copy + default seccomp profile
#   unconfined  today's, --security-opt seccomp=unconfined (sealed copy only)
# The ratios are to "before".
set -eu
work=${1:?usage: bench-security.sh WORK}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-security: run as root (it drops to the test user uruntest)" >&2; exit 1; }
uid=$(id -u uruntest) gid=$(id -g uruntest)
n=${BENCH_RUNS:-30}
before=955a236
rows=""
if git cat-file -e "$before^{commit}" 2>/dev/null; then
	src=$(mktemp -d "$work/before-src.XXXXXX")
	git archive "$before" | tar -x -C "$src"
	(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/urun-before" ./cmd/urun)
	chmod 755 "$work/urun-before"
	rows="before=$work/urun-before run --network none $work/rootfs /bin/true"
else
	echo "(no git history here: no 'before' row)"
fi
echo
echo "== security start-up cost: /bin/true in a new container, as uid $uid"
base=urun
[ -n "$rows" ] && base=before
set -- "urun=$work/urun run --network none $work/rootfs /bin/true" \
	"unconfined=$work/urun run --network none --security-opt seccomp=unconfined $work/rootfs /bin/true"
[ -n "$rows" ] && set -- "$rows" "$@"
"$work/bench" -n "$n" -uid "$uid" -gid "$gid" -base "$base" "$@"
