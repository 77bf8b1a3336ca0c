// Package usergroup resolves the container user of `-u USER[:GROUP]` and
// `--group-add` against the container's own /etc/passwd and /etc/group, with
// runc's rules (libcontainer/user.GetExecUser): names are looked up, numbers
// are taken as they are, a uid alone takes its passwd entry's gid (0 when
// there is none), and supplementary groups come from /etc/group membership
// unless a group was named.
//
// The files are opened inside the rootfs through file descriptors
// (filepath-securejoin's pathrs-lite OpenInRoot): a rootfs is hostile, and
// its /etc/passwd may be a symlink to a host file, which is then resolved
// inside the rootfs like any other path. The parsers are pure and never panic
// on any input.
//
// It knows nothing of the spec, the CLI or the init stage: it turns strings
// and a rootfs into ids.
package usergroup
