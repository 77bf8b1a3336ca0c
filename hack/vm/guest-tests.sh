#!/bin/sh
# Runs in the guest, from /mnt/urun, as the user given: the cgroupdelegate
# tests and the cgroup integration tests against the real urun binary. Prints
# `go test -v` output with an ok/FAIL line per test binary.
#
#   guest-tests.sh [GO_TEST_RUN_PATTERN]
set -u
status=0
export URUN_BIN=/mnt/urun/urun URUN_MKROOTFS=/mnt/urun/mkrootfs.sh
for t in cgroupdelegate cgroup; do
	if ./$t.test -test.v -test.count=1 -test.run "${1:-.}"; then
		printf 'ok  \t%s (in the VM as %s)\n' "$t" "$(id -un)"
	else
		printf 'FAIL\t%s (in the VM as %s)\n' "$t" "$(id -un)"
		status=1
	fi
done
exit $status
