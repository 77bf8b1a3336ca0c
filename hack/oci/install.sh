#!/usr/bin/env bash
# install.sh (as root): what the OCI front-door checks need, idempotent.
# Not named deps.sh on purpose: .ci/run runs hack/*/deps.sh, and these
# checks are not wired into CI until urun has its OCI verbs.
#
#  - podman, containerd, runc (crun is already a test dependency) from apt;
#  - the opencontainers runtime-tools validation suite, built into
#    $URUN_OCI_CACHE/runtime-tools (default /var/cache/urun-oci):
#    from RUNTIME_TOOLS_SRC (a checkout) when set, else v0.9.0 from the Go
#    module proxy. v0.9.0 is the only version the proxy serves, and it is also
#    the one crun 1.8.1 (Debian 12) can run: its generator writes
#    ociVersion 1.0.2, while runtime-tools master writes 1.3.0, which crun
#    1.8 refuses ("unknown version specified") in every test. v0.9.0 has no
#    go.mod (Godeps): one is made here, pinned to runtime-spec v1.0.2, the
#    oldest spec with the VM section its generator uses.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
cache=${URUN_OCI_CACHE:-/var/cache/urun-oci}
pkgs="podman containerd runc crun uidmap slirp4netns fuse-overlayfs util-linux tar"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

export PATH=$PATH:/usr/local/go/bin
export CGO_ENABLED=0 GOFLAGS=-mod=mod
rt=$cache/runtime-tools
if [ -x "$rt/runtimetest" ] && [ -x "$rt/validation/default/default.t" ]; then
	echo "runtime-tools: already built in $rt"
	exit 0
fi
mkdir -p "$cache"
rm -rf "$rt.tmp"
if [ -n "${RUNTIME_TOOLS_SRC:-}" ]; then
	cp -r "$RUNTIME_TOOLS_SRC" "$rt.tmp"
else
	dir=$(go mod download -json github.com/opencontainers/runtime-tools@v0.9.0 | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -n "$dir" ] || { echo "install.sh: go mod download of runtime-tools v0.9.0 failed" >&2; exit 1; }
	cp -r "$dir" "$rt.tmp"
fi
chmod -R u+w "$rt.tmp"
(
	cd "$rt.tmp"
	if [ ! -f go.mod ]; then
		go mod init github.com/opencontainers/runtime-tools >/dev/null 2>&1
		go get github.com/opencontainers/runtime-spec@v1.0.2 github.com/opencontainers/selinux@v1.0.0 \
			github.com/urfave/cli@v1.20.0 github.com/satori/go.uuid@v1.2.0 >/dev/null 2>&1
		go mod tidy >/dev/null 2>&1
	fi
	go build -o runtimetest ./cmd/runtimetest
	make -s validation-executables >/dev/null
)
rm -rf "$rt"
mv "$rt.tmp" "$rt"
# The tests run from this directory as the test user too (they untar
# rootfs-amd64.tar.gz from it and copy runtimetest into each bundle).
chmod -R a+rX "$rt"
echo "runtime-tools: built in $rt"
