#!/usr/bin/env bash
# deps.sh (as root): what the OCI engine checks need, for .ci/run (which runs
# every hack/*/deps.sh): podman, containerd, runc, crun, fuse-overlayfs from
# apt and the runtime-tools validation suite (install.sh does the work, and
# is idempotent).
set -euo pipefail
exec "$(dirname "$0")/install.sh"
