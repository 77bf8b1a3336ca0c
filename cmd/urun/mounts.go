package main

// MountFlags say what the container sees of the host's files: volumes,
// tmpfs, the copy-on-write and read-only roots (package mount carries them
// out; spec carries them as OCI mounts).
type MountFlags struct{}

func (f *MountFlags) apply(o *runOptions) error { return nil }
