package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/spec"
)

// MountFlags say what the container sees of the host's files: volumes,
// tmpfs, the copy-on-write and read-only roots (package mount carries them
// out; spec carries them as OCI mounts).
type MountFlags struct {
	Volume        []string    `short:"v" sep:"none" help:"Bind-mount a host file or directory: HOSTPATH:CTRPATH[:OPTIONS], options ro, rw (default), U (chown the source to the container user), [r]private (default rprivate), [r]shared, [r]slave, nosuid, nodev, noexec; z and Z are accepted and ignored (no SELinux). The host path must exist. Repeatable." placeholder:"HOST:CTR[:OPTS]"`
	Mount         []string    `sep:"none" help:"A mount in docker's form: type=bind,src=HOSTPATH,dst=CTRPATH[,ro][,bind-propagation=P] or type=tmpfs,dst=CTRPATH[,tmpfs-size=SIZE][,tmpfs-mode=MODE]. Repeatable." placeholder:"type=...,..."`
	Tmpfs         []string    `sep:"none" help:"Mount a tmpfs: CTRPATH[:OPTIONS], options size=SIZE, mode=MODE, ro, exec, suid, dev (default rw,noexec,nosuid,nodev). Repeatable." placeholder:"CTR[:OPTS]"`
	Overlay       overlayFlag `help:"Copy-on-write root: the rootfs is never written. --overlay throws the changes away when the container ends; --overlay=DIR keeps them in DIR/upper (and DIR/work) for the next run."`
	ReadOnly      bool        `name:"read-only" help:"Mount the rootfs read-only, with a tmpfs on /tmp, /var/tmp and /run (see --read-only-tmpfs)."`
	ReadOnlyTmpfs bool        `name:"read-only-tmpfs" default:"true" help:"With --read-only, mount tmpfs on /tmp, /var/tmp and /run (default true; --read-only-tmpfs=false: none)."`
}

func (f *MountFlags) apply(o *runOptions) error {
	for _, v := range f.Volume {
		m, err := spec.ParseVolume(v)
		if err != nil {
			return err
		}
		if err := absSource(&m, "-v "+v); err != nil {
			return err
		}
		o.Mounts = append(o.Mounts, m)
	}
	for _, v := range f.Mount {
		m, err := spec.ParseMount(v)
		if err != nil {
			return err
		}
		if m.Type == "bind" {
			if err := absSource(&m, "--mount "+v); err != nil {
				return err
			}
		}
		o.Mounts = append(o.Mounts, m)
	}
	for _, v := range f.Tmpfs {
		m, err := spec.ParseTmpfs(v)
		if err != nil {
			return err
		}
		o.Mounts = append(o.Mounts, m)
	}
	o.ReadOnly, o.ReadOnlyTmpfs = f.ReadOnly, f.ReadOnlyTmpfs
	if f.Overlay.set {
		dir := f.Overlay.dir
		if dir != "" {
			abs, err := filepath.Abs(dir)
			if err != nil {
				return fmt.Errorf("--overlay=%s: %w", dir, err)
			}
			dir = abs
		}
		o.Overlay = &spec.Overlay{Dir: dir}
	}
	return nil
}

// absSource makes a bind mount's host path absolute: the init stage does
// not run where the user typed it.
func absSource(m *specs.Mount, what string) error {
	abs, err := filepath.Abs(m.Source)
	if err != nil {
		return fmt.Errorf("bad %s: %w", what, err)
	}
	m.Source = abs
	return nil
}

// overlayFlag is both `--overlay` and `--overlay=DIR`: a bool flag (it
// takes no separate argument, so `--overlay ROOTFS` keeps ROOTFS) that
// accepts a value when one is attached with `=`, as kong's own bool mapper
// does for `--flag=false`.
type overlayFlag struct {
	set bool
	dir string
}

func (o *overlayFlag) Decode(ctx *kong.DecodeContext) error {
	o.set = true
	if ctx.Scan.Peek().Type != kong.FlagValueToken {
		return nil
	}
	v := fmt.Sprint(ctx.Scan.Pop().Value)
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("--overlay= needs a directory (or write --overlay alone for a throwaway layer)")
	}
	o.dir = v
	return nil
}

// IsBool makes kong treat the flag as taking no argument of its own.
func (o *overlayFlag) IsBool() bool { return true }
