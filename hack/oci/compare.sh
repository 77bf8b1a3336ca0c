#!/usr/bin/env bash
# compare.sh [--runs N] [--modes "root userns"] [--out DIR] URUN (as root):
# runs the runtime-tools validation suite (install.sh builds it) against
# URUN with baseline.sh, in each mode, N times (default 2), and prints one
# table, test by test, beside crun's results on this machine (the crun-root
# and crun-userns columns of hack/oci/README.md). It exits non-zero when urun
# fails a test that crun passes in the same mode, so CI can run it.
#
#   compare.sh --results DIR    compares the runs already in DIR instead
#                               (DIR/urun-MODE-K.txt, as this script writes).
#
# Each run keeps its TAP in DIR/urun-MODE-K/ (see validation.sh).
#
# The hook tests (hooks, hooks_stdin, prestart*, poststart*, poststop*) flip
# between runs for every runtime (a hook that exits before its stdin is
# written: "signal: broken pipe"); they count as passed when any run passes.
# Every other test must pass in every run.
#
# userns runs use the test user uruntest (hack/mkuser.sh) and hold the
# integration lock (/tmp/urun-it.lock) while they run (URUN_OCI_LOCKED=1: the
# caller holds it already). Each mode and run takes 1.5 to 2 minutes on the
# 2-core test machine: about 7 minutes for the default 2 runs of both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=2 modes="root userns" out="" results=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	--*) echo "compare.sh: unknown flag $1" >&2; exit 2 ;;
	*) break ;;
	esac
done

if [ -z "$results" ]; then
	urun=${1:?usage: compare.sh [--runs N] [--modes "root userns"] [--out DIR] URUN | compare.sh --results DIR}
	[ "$(id -u)" = 0 ] || { echo "compare.sh: run as root" >&2; exit 2; }
	urun=$(cd "$(dirname "$urun")" && pwd)/$(basename "$urun")
	out=${out:-$(mktemp -d /tmp/urun-oci-compare.XXXXXX)}
	mkdir -p "$out"
	# The userns runs write their results as the test user (mktemp makes
	# the directory 0700, root's).
	chmod 755 "$out"
	results=$out
	for mode in $modes; do
		for k in $(seq 1 "$runs"); do
			echo "compare.sh: $mode run $k of $runs" >&2
			lock=()
			[ "$mode" = userns ] && [ -z "${URUN_OCI_LOCKED:-}" ] && lock=(flock /tmp/urun-it.lock)
			"${lock[@]}" "$here/baseline.sh" "$out" "$mode" "urun-$mode-$k" "$urun" >/dev/null
			# baseline.sh names its result NAME-MODE.txt.
			mv "$out/urun-$mode-$k-$mode.txt" "$out/urun-$mode-$k.txt"
			rm -rf "$out/urun-$mode-$k"
			mv "$out/urun-$mode-$k-$mode" "$out/urun-$mode-$k"
		done
	done
fi

# crun's columns from the README's table: test -> result per mode.
readme=$here/README.md
awk -v modes="$modes" -v dir="$results" -F'|' '
function trim(s) { gsub(/^[ \t*]+|[ \t*]+$/, "", s); return s }
FNR == 1 { file++ }
file == 1 && /^\| test \|/ {
	for (i = 2; i < NF; i++) col[trim($i)] = i
	intable = 1; next
}
file == 1 && intable && /^\|---/ { next }
file == 1 && intable && /^\| / {
	t = trim($2)
	if (t == "total") { intable = 0; next }
	order[++ntests] = t
	for (m in wantmode) {
		c = col["crun-" m]
		if (c) { split(trim($c), w, " "); crun[t, m] = w[1] }
	}
	next
}
file == 1 && intable { intable = 0 }
BEGIN {
	n = split(modes, ms, " ")
	for (i = 1; i <= n; i++) wantmode[ms[i]] = 1
}
file > 1 {
	# urun-MODE-K.txt: "NAME RESULT passed/planned skipped=N"
	f = FILENAME; sub(/.*\//, "", f); sub(/\.txt$/, "", f)
	split(f, p, "-"); m = p[2]
	if ($0 ~ /^total:/) next
	split($0, w, " ")
	t = w[1]; r = w[2]
	runs[m]++
	seen[t, m]++
	if (r == "pass") pass[t, m]++
	if (!((t, m) in first) || r != "pass") first[t, m] = r " " w[3]
	if (!(t in known)) { known[t] = 1; if (!(t in inorder)) extra[++nextra] = t }
}
END {
	for (i = 1; i <= ntests; i++) inorder[order[i]] = 1
	for (i = 1; i <= nextra; i++) if (!(extra[i] in inorder)) order[++ntests] = extra[i]
	printf "| test |"
	for (i = 1; i <= n; i++) printf " crun-%s | urun-%s |", ms[i], ms[i]
	printf "\n|---|"
	for (i = 1; i <= n; i++) printf "---|---|"
	printf "\n"
	bad = 0
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		flaky = (t ~ /^(hooks|hooks_stdin|prestart|prestart_fail|poststart|poststart_fail|poststop|poststop_fail)$/)
		line = "| " t " |"
		for (j = 1; j <= n; j++) {
			m = ms[j]
			k = seen[t, m] + 0
			ok = pass[t, m] + 0
			if (k == 0) cell = "-"
			else if (ok == k) cell = first[t, m]
			else if (flaky && ok > 0) cell = "pass " ok "/" k " runs"
			else cell = first[t, m] (k > 1 ? " (" ok "/" k " runs pass)" : "")
			urunpass = (k > 0 && (ok == k || (flaky && ok > 0)))
			mark = ""
			if (crun[t, m] == "pass" && !urunpass) { mark = " **REGRESSION**"; bad++ }
			line = line " " (crun[t, m] == "" ? "-" : crun[t, m]) " | " cell mark " |"
		}
		print line
	}
	if (bad > 0) {
		printf "compare.sh: urun fails %d test(s) that crun passes\n", bad > "/dev/stderr"
		exit 1
	}
	print "compare.sh: urun passes every test crun passes" > "/dev/stderr"
}
' "$readme" "$results"/urun-*-*.txt
