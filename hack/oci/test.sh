#!/usr/bin/env bash
# test.sh (`make test-oci`, as root): urun driven by real engines on the
# host: rootless podman as the test user (podman.sh with urun as its
# --runtime), under the integration lock since the test user is shared.
# (containerd runs as root, which needs cgroups of its own: it is in the VM
# test bed, hack/vm/test.sh.) Ends with `oci: N passed, N failed`; exits
# non-zero if a check failed. Prints SKIP with the reason and exits 0 only
# where the checks cannot run: not root, or podman not installed
# (hack/oci/deps.sh installs it; CI runs that).
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: oci: the engine checks run as root (they drop to the test user uruntest)"
	exit 0
fi
if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
	echo "SKIP: oci: podman is not installed (run hack/oci/deps.sh as root)"
	exit 0
fi
urun=$(readlink -f "${URUN_BIN:-bin/urun}")
[ -x "$urun" ] || { echo "oci: $urun is missing: make build" >&2; exit 1; }
log=$(mktemp /tmp/urun-oci-test.XXXXXX)
trap 'rm -f "$log"' EXIT
t0=$(date +%s)
echo "== podman (rootless, uruntest) with urun as the runtime"
flock /tmp/urun-it.lock hack/oci/podman.sh "$urun" 2>&1 | sed -u 's/^\(PASS\|FAIL\) /\1 podman\//' | tee "$log"
pass=$(grep -c '^PASS' "$log" || true)
fail=$(grep -c '^FAIL' "$log" || true)
echo "oci: checks took $(($(date +%s) - t0)) s"
echo "oci: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
