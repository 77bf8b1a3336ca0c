// Package idmap owns user namespace id mapping for rootless containers: parsing
// /etc/subuid and /etc/subgid, planning the uid and gid maps (container 0 = the
// user, 1..N = the subordinate ranges), writing them with the real newuidmap and
// newgidmap helpers, and the single-id fallback when the user has no ranges or the
// helpers are missing.
//
// It does not create namespaces; it maps a process that already lives in one.
package idmap
