#!/usr/bin/env bash
# validation.sh RUNTIME OUTDIR: runs every runtime-tools validation test
# (built by install.sh) with RUNTIME as the runtime command, one at a time,
# keeping each test's TAP in OUTDIR/NAME.tap (stderr NAME.err, status
# NAME.rc), then prints the summary (validation.sh --summary OUTDIR prints
# it again): one line per test, NAME RESULT passed/planned skipped=N, where
# RESULT is
#   pass     every check ok (or, for the tests that only report errors,
#            such as the hook tests' "1..0", no error reported);
#   fail     a "not ok", an error reported, no plan, or a non-zero status;
#   skip     every check skipped;
#   timeout  killed after 300 s.
# Run it where the runtime is meant to run (baseline.sh sets that up); it
# starts nothing itself but the tests. URUN_OCI_TESTS="NAME..." runs only
# the tests named.
set -uo pipefail

summary() {
	local out=$1 pass=0 fail=0 skip=0
	for tap in "$out"/*.tap; do
		local name rc planned oks skips notoks res
		name=$(basename "$tap" .tap)
		rc=$(cat "$out/$name.rc" 2>/dev/null || echo 0)
		planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$tap" | tail -1)
		oks=$(grep -c '^ok ' "$tap")
		skips=$(grep -ci '^ok .*# skip' "$tap")
		notoks=$(grep -c '^not ok ' "$tap")
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			res=timeout
		elif [ "$rc" != 0 ] || [ "$notoks" != 0 ] || [ -z "$planned" ]; then
			res=fail
		elif [ "$planned" = 0 ]; then
			if grep -q '"error":' "$tap"; then res=fail; else res=pass; fi
		elif [ "$skips" = "$oks" ]; then
			res=skip
		else
			res=pass
		fi
		case $res in pass) pass=$((pass + 1)) ;; skip) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;; esac
		echo "$name $res $((oks - skips))/${planned:-?} skipped=$skips"
	done
	echo "total: pass=$pass fail=$fail skip=$skip"
}

if [ "${1:-}" = --summary ]; then
	summary "${2:?usage: validation.sh --summary OUTDIR}"
	exit 0
fi
runtime=${1:?usage: validation.sh RUNTIME OUTDIR}
out=${2:?usage: validation.sh RUNTIME OUTDIR}
rt=${RUNTIME_TOOLS:-${URUN_OCI_CACHE:-/var/cache/urun-oci}/runtime-tools}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$rt" || exit 1
export RUNTIME=$runtime
for t in validation/*/*.t; do
	name=$(basename "$t" .t)
	# URUN_OCI_TESTS="a b": only those tests (while fixing one).
	if [ -n "${URUN_OCI_TESTS:-}" ] && [[ " $URUN_OCI_TESTS " != *" $name "* ]]; then
		continue
	fi
	timeout -k 10 300 "$t" >"$out/$name.tap" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
done
summary "$out"
