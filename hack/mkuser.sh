#!/bin/sh
# mkuser.sh: create the unprivileged test users (run as root).
#   uruntest   (uid 1001) with /etc/subuid and /etc/subgid ranges 200000:65536
#   uruntest2  (uid 1002) with no ranges, for the single-id fallback
set -eu
[ "$(id -u)" = 0 ] || { echo "mkuser: run as root" >&2; exit 1; }
mk() {
	name=$1 uid=$2
	if ! id "$name" >/dev/null 2>&1; then
		useradd --uid "$uid" --user-group --create-home --shell /bin/sh "$name"
	fi
}
mk uruntest 1001
mk uruntest2 1002
touch /etc/subuid /etc/subgid
for f in /etc/subuid /etc/subgid; do
	grep -q '^uruntest:' "$f" || echo "uruntest:200000:65536" >> "$f"
	# uruntest2 must have no range: the fallback test depends on it.
	sed -i '/^uruntest2:/d;/^1002:/d' "$f"
done
echo "mkuser: uruntest (ranges) and uruntest2 (no ranges) ready"
