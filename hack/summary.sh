#!/bin/sh
# summary.sh: pass `go test -v` output through and end with a count line, and
# keep go test's exit status (a pipe would lose it).
set -u
tmp=$(mktemp)
tee "$tmp"
pass=$(grep -c -- '^--- PASS' "$tmp")
fail=$(grep -c -- '^--- FAIL' "$tmp")
skip=$(grep -c -- '^--- SKIP' "$tmp")
echo "integration: $pass passed, $fail failed, $skip skipped"
bad=0
grep -q '^FAIL' "$tmp" && bad=1
grep -q '^ok' "$tmp" || bad=1
rm -f "$tmp"
exit $bad
