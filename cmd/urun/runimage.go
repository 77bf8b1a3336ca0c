package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/internal/imageproto"
	"github.com/urun-dev/urun/internal/imagestore"
	"github.com/urun-dev/urun/spec"
)

// ImageFlags are `urun run IMAGE`'s own: when to pull, and the entrypoint.
type ImageFlags struct {
	imageproto.RegistryFlags `embed:""`
	Pull                     string         `enum:"missing,always,never" default:"missing" help:"Pull IMAGE: missing (when not in the store; the default), always, never."`
	Entrypoint               entrypointFlag `help:"Override the image's entrypoint (--entrypoint=\"\" clears it; the command after IMAGE replaces its Cmd)." placeholder:"CMD"`
}

// entrypointFlag tells --entrypoint ” (cleared) from no flag (the image's).
type entrypointFlag struct {
	set bool
	val string
}

func (e *entrypointFlag) Decode(ctx *kong.DecodeContext) error {
	e.set = true
	return ctx.Scan.PopValueInto("entrypoint", &e.val)
}

// isRootfs tells `urun run ROOTFS` from `urun run IMAGE`: an existing
// directory, or an argument written as a path (./x, ../x, /x, ~/x), is a
// rootfs; anything else is an image reference.
func isRootfs(arg string) bool {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return true
	}
	return arg == "." || arg == ".." || arg == "~" || strings.HasPrefix(arg, "/") ||
		strings.HasPrefix(arg, "./") || strings.HasPrefix(arg, "../") || strings.HasPrefix(arg, "~/")
}

// rootfsOrImage sets the run's root: the directory the user named, or the
// image's layers (pulled first when the policy says so) under a throwaway
// upper layer, with the image's config as defaults under the flags. It
// returns the image's in-use mark (nil for a rootfs) and
// the image's defaults, to apply once the flags are (nil for a rootfs).
func (r *RunCmd) rootfsOrImage(o *runOptions) (mark *imagestore.Mark, defaults func(*runOptions) error, err error) {
	if isRootfs(r.Rootfs) {
		root, err := filepath.Abs(kong.ExpandPath(r.Rootfs))
		if err != nil {
			return nil, nil, fmt.Errorf("rootfs %q: %w", r.Rootfs, err)
		}
		o.Rootfs = root
		o.Args = r.Command
		return nil, nil, nil
	}
	// A pull, or a wait for another's, can take long: Ctrl-C must end it
	// as it always did, not wait to be forwarded to a container.
	container.ReleaseSignals()
	ref := r.Rootfs
	res, mark, err := resolveImage(imageproto.Request{Ref: ref, Pull: r.Pull, Quiet: r.Quiet, Registry: r.RegistryFlags})
	if err != nil {
		return nil, nil, err
	}
	dirs := res.Layers
	o.Rootfs = dirs[len(dirs)-1]
	o.Layers = dirs[:len(dirs)-1]
	if o.Overlay == nil {
		o.Overlay = &spec.Overlay{}
	}
	entry := res.Entrypoint
	if r.Entrypoint.set {
		entry = nil
		if r.Entrypoint.val != "" {
			entry = []string{r.Entrypoint.val}
		}
	}
	args := res.Cmd
	if len(r.Command) > 0 || r.Entrypoint.set {
		args = r.Command
	}
	o.Args = append(append([]string(nil), entry...), args...)
	if len(o.Args) == 0 {
		mark.Release()
		if r.Entrypoint.set {
			return nil, nil, fmt.Errorf("--entrypoint= clears the image's Entrypoint and Cmd, and no command follows %s; give one after the image", ref)
		}
		return nil, nil, fmt.Errorf("image %s names no command (no Entrypoint or Cmd); give one after the image", ref)
	}
	o.UserRoot = passwdLayer(dirs)
	if len(res.ExposedPorts) > 0 && len(r.Publish) == 0 && r.Verbose {
		fmt.Fprintf(os.Stderr, "urun: image %s exposes %s; publish them with -p HOSTPORT:PORT\n", ref, strings.Join(res.ExposedPorts, " "))
	}
	// The image's values are defaults: -e, -w and -u win.
	defaults = func(o *runOptions) error {
		o.Env = spec.MergeEnv(res.Env, o.Env)
		if r.Workdir == "" && res.WorkingDir != "" {
			wd, err := spec.ParseWorkdir(res.WorkingDir)
			if err != nil {
				return fmt.Errorf("image %s: %w", ref, err)
			}
			o.Workdir = wd
		}
		if r.User == "" && res.User != "" && r.UserNS == "" {
			o.Process.User = res.User
		}
		return nil
	}
	return mark, defaults, nil
}

// passwdLayer is the uppermost layer holding /etc/passwd, where -u names
// are looked up ("" when only the lowest has one, the rootfs: the default).
// A deleted /etc/passwd (a whiteout: a 0/0 character device) ends the
// search; /etc/group is read from the same layer.
func passwdLayer(dirs []string) string {
	for _, d := range dirs {
		// Lstat each step: a layer is hostile, and its etc may be a
		// symlink out of it (usergroup then reads inside the layer).
		if st, err := os.Lstat(filepath.Join(d, "etc")); err != nil || !st.IsDir() {
			continue
		}
		st, err := os.Lstat(filepath.Join(d, "etc", "passwd"))
		if err != nil {
			continue
		}
		if st.Mode()&os.ModeCharDevice != 0 {
			return ""
		}
		return d
	}
	return ""
}
