#!/bin/sh
# mkuser.sh: create the unprivileged test users (run as root).
#   uruntest   with /etc/subuid and /etc/subgid ranges of 65536 ids
#   uruntest2  with no ranges, for the single-id fallback
# The machine may already have users (a second person, a CI runner's own
# account): useradd picks free uids, and the subordinate range is one that
# overlaps nobody's range in /etc/subuid or /etc/subgid and no existing uid or
# gid. Idempotent: a second run changes nothing.
set -eu
[ "$(id -u)" = 0 ] || { echo "mkuser: run as root" >&2; exit 1; }
count=65536
mk() {
	if ! id "$1" >/dev/null 2>&1; then
		useradd --user-group --create-home --shell /bin/sh "$1"
	fi
}
mk uruntest
mk uruntest2
touch /etc/subuid /etc/subgid

# ranges NAME UID: the start:count of NAME's (or UID's) lines in both files,
# one per line.
ranges() {
	awk -F: -v n="$1" -v u="$2" '($1 == n || $1 == u) { print $2 ":" $3 }' /etc/subuid /etc/subgid
}

# taken NAME UID: every id in use by someone else, as "first last" lines:
# their subordinate ranges, and every uid and gid on the machine.
taken() {
	awk -F: -v n="$1" -v u="$2" '($1 != n && $1 != u && $3 > 0) { print $2, $2 + $3 - 1 }' /etc/subuid /etc/subgid
	getent passwd | awk -F: '{ print $3, $3 }'
	getent group | awk -F: '{ print $3, $3 }'
}

# free NAME UID: the lowest start (from 100000, as useradd's SUB_UID_MIN, in
# steps of the count) whose range meets nothing in taken.
free() {
	taken "$1" "$2" | awk -v c="$count" '
		{ lo[NR] = $1; hi[NR] = $2 }
		END {
			for (s = 100000; s < 4294967295 - c; s += c) {
				ok = 1
				for (i = 1; i <= NR; i++) if (lo[i] <= s + c - 1 && hi[i] >= s) { ok = 0; break }
				if (ok) { print s; exit }
			}
			exit 1
		}'
}

# overlaps NAME UID START: whether START:count meets anything in taken.
overlaps() {
	taken "$1" "$2" | awk -v s="$3" -v c="$count" '$1 <= s + c - 1 && $2 >= s { hit = 1 } END { exit !hit }'
}

# uruntest2 must have no range: the fallback test depends on it (useradd
# may have given it one), and its range must not count as taken below.
uid2=$(id -u uruntest2)
for f in /etc/subuid /etc/subgid; do
	if grep -q -e "^uruntest2:" -e "^$uid2:" "$f"; then
		sed -i "/^uruntest2:/d;/^$uid2:/d" "$f"
	fi
done

uid=$(id -u uruntest)
have=$(ranges uruntest "$uid" | sort -u)
keep=""
# Keep the range uruntest has when it is one range, the same in both files,
# of the full count, and meets nobody else's ids.
if [ "$(echo "$have" | grep -c .)" = 1 ] && [ "$(ranges uruntest "$uid" | wc -l)" = 2 ] &&
	[ "${have#*:}" = "$count" ] && ! overlaps uruntest "$uid" "${have%%:*}"; then
	keep=${have%%:*}
fi
if [ -z "$keep" ]; then
	start=$(free uruntest "$uid") || { echo "mkuser: no free range of $count subordinate ids" >&2; exit 1; }
	for f in /etc/subuid /etc/subgid; do
		sed -i "/^uruntest:/d;/^$uid:/d" "$f"
		echo "uruntest:$start:$count" >>"$f"
	done
	keep=$start
fi
echo "mkuser: uruntest (uid $uid, ids $keep:$count) and uruntest2 (uid $uid2, no ranges) ready"
