#!/bin/bash
# Builds what the VM runs into DIR (the directory shared with the guest at
# /mnt/urun): the urun binary, the cgroup test binaries (go test -c), the bench
# tool, hack/mkrootfs.sh, guest-tests.sh, which runs the tests in the guest, and
# hack/oci/containerd.sh, the containerd check (as root in the guest).
#
#   hack/vm/stage.sh DIR
set -euo pipefail
dir=${1:?usage: stage.sh DIR}
cd "$(dirname "$(readlink -f "$0")")/../.."
export CGO_ENABLED=0
mkdir -p "$dir"
chmod 755 "$dir"
# As `make build` does: the init stage and the image helper embedded
# (package internal/stagebin).
go build -trimpath -o internal/stagebin/urun-init ./cmd/urun-init
go build -trimpath -o internal/stagebin/urun-image ./cmd/urun-image
go build -tags urun_stage -trimpath -o "$dir/urun" ./cmd/urun
go test -c -o "$dir/cgroupdelegate.test" ./cgroupdelegate
go test -c -o "$dir/cgroup.test" ./integration/cgroup
go build -o "$dir/bench" ./hack/bench
install -m 755 hack/mkrootfs.sh "$dir/mkrootfs.sh"
install -m 755 hack/vm/guest-tests.sh "$dir/guest-tests.sh"
# The containerd check, in the repository's layout (it finds mkrootfs.sh
# beside it as in a checkout).
install -D -m 755 hack/oci/containerd.sh "$dir/hack/oci/containerd.sh"
install -D -m 755 hack/mkrootfs.sh "$dir/hack/mkrootfs.sh"
