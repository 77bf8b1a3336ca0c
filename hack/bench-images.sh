#!/bin/sh
# bench-images.sh WORK (as root, called by hack/bench.sh with its work
# directory: WORK/urun, WORK/bench and a busybox WORK/rootfs owned by the test
# user). Measures, as the unprivileged test user, against a docker-registry
# on loopback:
#   1. pull + unpack throughput (MB/s of compressed layers) of a large image
#      (BENCH_IMAGE_MB MiB of random files in three layers, built here as an
#      OCI layout and pushed with skopeo): `urun pull` against `skopeo copy`
#      + `umoci unpack --rootless`, best of three each;
#   2. start-up: `urun run IMAGE /bin/true` (the busybox rootfs as a one-layer
#      image: an overlay with a throwaway upper) against `urun run ROOTFS
#      /bin/true` and `urun run --overlay ROOTFS /bin/true`.
# Installs docker-registry, skopeo and umoci from apt when missing; says so
# and skips what needs one the mirror does not have.
set -eu
work=${1:?usage: bench-images.sh WORK}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-images: run as root (it drops to the test user uruntest)" >&2; exit 1; }
for p in docker-registry skopeo umoci; do
	command -v "$p" >/dev/null || apt-get install -y -qq "$p" >/dev/null 2>&1 || echo "bench-images: $p is not in the package mirror; skipping what needs it"
done
uid=$(id -u uruntest) gid=$(id -g uruntest)
as_user() { setpriv --reuid="$uid" --regid="$gid" --clear-groups env -i HOME=/tmp PATH=/usr/bin:/bin:/usr/sbin:/sbin XDG_DATA_HOME="$data" "$@"; }
n=${BENCH_RUNS:-30}
mb=${BENCH_IMAGE_MB:-300}
img=$work/images
data=$img/data
mkdir -p "$img" "$data"
chown "$uid:$gid" "$img" "$data"

# addlayer LAYOUT DIR: DIR as a gzip layer of LAYOUT, owned by root in the tar.
addlayer() {
	tar -C "$2" --numeric-owner --owner=0 --group=0 -cf "$img/l.tar" .
	diff=$(sha256sum <"$img/l.tar" | cut -d' ' -f1)
	gzip -1 -c "$img/l.tar" >"$img/l.tar.gz"
	dig=$(sha256sum <"$img/l.tar.gz" | cut -d' ' -f1)
	size=$(stat -c %s "$img/l.tar.gz")
	mv "$img/l.tar.gz" "$1/blobs/sha256/$dig"
	rm "$img/l.tar"
	layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$dig\",\"size\":$size}"
	diffs="$diffs${diffs:+,}\"sha256:$diff\""
	total=$((total + size))
}
# blob LAYOUT FILE: move FILE into LAYOUT's blobs; sets dig, size.
blob() {
	dig=$(sha256sum <"$2" | cut -d' ' -f1)
	size=$(stat -c %s "$2")
	mv "$2" "$1/blobs/sha256/$dig"
}
# layout LAYOUT NAME: write config, manifest, index for the layers added.
layout() {
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/true"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$img/c.json"
	blob "$1" "$img/c.json"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$dig" "$size" "$layers" >"$img/m.json"
	blob "$1" "$img/m.json"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' "$dig" "$size" "$2" >"$1/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout"
}
newlayout() { mkdir -p "$1/blobs/sha256"; layers="" diffs="" total=0; }

# The busybox image: one layer.
newlayout "$img/bb"
addlayer "$img/bb" "$work/rootfs"
layout "$img/bb" "example.org/bench/busybox:1"
# The large image: three layers of random files.
newlayout "$img/big"
for l in 1 2 3; do
	rm -rf "$img/files" && mkdir -p "$img/files/l$l"
	per=$((mb / 3 / 8))
	for f in 1 2 3 4 5 6 7 8; do head -c "${per}M" /dev/urandom >"$img/files/l$l/f$f"; done
	addlayer "$img/big" "$img/files"
done
rm -rf "$img/files"
layout "$img/big" "big:1"
bigmb=$(awk "BEGIN{printf \"%.0f\", $total/1048576}")
chown -R "$uid:$gid" "$img"

echo
echo "== images: start-up, /bin/true in a new container, as uid $uid"
as_user "$work/urun" load -q -i "$img/bb" >/dev/null
u="env XDG_DATA_HOME=$data $work/urun run --network none"
"$work/bench" -n "$n" -uid "$uid" -gid "$gid" -base rootfs \
	"rootfs=$u $work/rootfs /bin/true" \
	"rootfs-overlay=$u --overlay $work/rootfs /bin/true" \
	"image=$u --pull=never example.org/bench/busybox:1 /bin/true"

if ! command -v docker-registry >/dev/null; then
	echo "bench-images: no docker-registry; pull throughput skipped"
	exit 0
fi
port=$((35000 + $$ % 5000))
mkdir -p "$img/reg"
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$img/reg" "$port" >"$img/reg.yml"
docker-registry serve "$img/reg.yml" >"$img/reg.log" 2>&1 &
regpid=$!
# hack/bench.sh removes WORK; this script only stops its registry.
trap 'kill $regpid 2>/dev/null' EXIT
i=0
until curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 || wget -q -O /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "bench-images: docker-registry did not start"; cat "$img/reg.log"; exit 1; }
	sleep 0.1
done
ref=127.0.0.1:$port/bench/big:1
if command -v skopeo >/dev/null; then
	skopeo copy -q --dest-tls-verify=false "oci:$img/big:big:1" "docker://$ref"
else
	echo "bench-images: no skopeo to push the image; pull throughput skipped"
	exit 0
fi

echo
echo "== images: pull + unpack of a ${bigmb} MB image (3 layers of random files) from a registry on loopback, as uid $uid, best of 3"
best() { sort -n | head -1; }
ms() {
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1 || echo "bench-images: failed: $*" >&2
	e=$(date +%s%N)
	echo $(( (e - s) / 1000000 ))
}
rate() { awk "BEGIN{printf \"%.0f MB/s (%d ms)\", $bigmb/($1/1000), $1}"; }
t=$(for i in 1 2 3; do
	ms as_user "$work/urun" pull -q "$ref"
	as_user "$work/urun" rmi "$ref" >/dev/null
done | best)
echo "urun pull:                        $(rate "$t")"
if command -v umoci >/dev/null; then
	t=$(for i in 1 2 3; do
		rm -rf "$img/sk" "$img/bundle"
		ms as_user sh -c "skopeo copy -q --src-tls-verify=false docker://$ref oci:$img/sk:big && umoci unpack --rootless --image $img/sk:big $img/bundle"
	done | best)
	echo "skopeo copy + umoci unpack:       $(rate "$t")"
	rm -rf "$img/sk" "$img/bundle"
else
	echo "bench-images: umoci is not installed; its comparison skipped"
fi
