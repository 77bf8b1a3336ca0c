# benchwork.sh, sourced by the bench scripts (sh). bench_work NAME [WORK]
# sets $work to WORK, bench.sh's directory (urun, the bench tool and a
# busybox rootfs owned by the test user), or, run alone, makes such a
# directory from bin/urun, removed at exit; own_work is 1 then. Needs $uid
# and $gid (the test user's). Not named bench-*.sh: bench.sh runs those.
#
# bench_need PKG:CMD... installs from apt each package whose command is missing.
bench_need() {
	need=""
	for pc in "$@"; do
		command -v "${pc#*:}" >/dev/null || need="$need ${pc%%:*}"
	done
	# shellcheck disable=SC2086 # $need is a list of package names
	if [ -n "$need" ]; then apt-get install -y -qq $need >/dev/null; fi
}

bench_work() {
	own_work=""
	if [ $# -ge 2 ]; then
		work=$2
		return
	fi
	hack/mkuser.sh >/dev/null
	work=$(mktemp -d "/tmp/urun-$1.XXXXXX")
	own_work=1
	trap 'rm -rf "$work"' EXIT
	chmod 755 "$work"
	# As the build tree lays them out: urun and its stage beside it (urun
	# finds the stage of `make install`, in ../libexec/urun, the same way).
	install -m 755 bin/urun "$work/urun"
	install -m 755 bin/urun-init "$work/urun-init"
	CGO_ENABLED=0 go build -o "$work/bench" ./hack/bench
	mkdir "$work/rootfs" && chown "$uid:$gid" "$work/rootfs"
	setpriv --reuid="$uid" --regid="$gid" --clear-groups hack/mkrootfs.sh "$work/rootfs" >/dev/null
}
