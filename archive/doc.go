// Package archive unpacks tar streams (rootfs tarballs, OCI image layers)
// into a directory as root of a user namespace that maps the user's
// subordinate ids, so that every owner in the tarball lands on one of the
// user's ids: root's files become the user's, uid N becomes the user's Nth
// subordinate id.
//
// Unpack is the core that runs inside that namespace: it reads a tar stream
// (plain, gzip, xz, zstd or bzip2, told apart by their magic bytes) and
// writes it below a directory it holds as a file descriptor. The tarball is
// hostile: every entry is resolved below the directory by the kernel
// (openat2 RESOLVE_BENEATH, no magic links), the last component is made with
// the *at calls and never followed, and an entry whose name or whose path
// through an earlier symlink leads out of the directory is refused. Device
// nodes are skipped and counted (urun makes /dev); FIFOs, hard links,
// symlinks, modes (setuid too), owners, mtimes and extended attributes
// (security.capability included: the kernel turns a v2 capability written by
// the namespace's root into a v3 one for that namespace) are kept.
//
// Whiteouts of OCI layers are applied (Flat) or turned into overlayfs
// whiteouts for a lower layer mounted with userxattr (Overlay).
//
// UnpackRootless is the host side: it starts the unpack stage in a new user
// namespace with the user's maps (package userns's helper stages, package
// idmap's plan), streams the tarball to it and returns its counts or its
// one-line error. RemoveRootless removes a tree of subordinate-id files the
// same way.
//
// It knows nothing of containers, images or the CLI.
package archive
