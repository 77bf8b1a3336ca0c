// Package bundle loads an OCI bundle (a directory with config.json and a root
// file system) and checks it against what urun can honour, before anything is
// created: the create verb calls Load, and every refusal is one line naming the
// field and what to do.
//
// It owns the config's JSON (any ociVersion 1.x; syntax errors with
// line:column), root.path made absolute against the bundle, container ids,
// mount types and options, namespaces (a namespace path is opened and asked
// its type with NS_GET_NSTYPE), and uid/gid mappings checked against the
// user's subordinate ranges (package idmap). Fields urun cannot apply on Linux
// without them (AppArmor and SELinux labels, Intel RDT, the Windows, Solaris,
// VM and z/OS sections) are ignored with a debug line, never refused.
//
// It does not create, start or record containers, and it does not turn the
// spec into mounts or processes: that is the store's, the monitor's and the
// init stage's job.
package bundle
