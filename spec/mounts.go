package spec

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The parsers below are pure: they check the syntax of -v, --mount and
// --tmpfs and produce OCI mounts. Whether a host path exists and may be used
// is checked on the host before anything starts (container.Validate), and
// where a container path lands is decided inside the rootfs (package mount).

// ChownOption is podman's `:U` in a mount's options (mount.ChownOption):
// chown the source to the container user. It never reaches the kernel.
const ChownOption = "U"

// propagations are the propagation options podman accepts; rprivate is the
// default of a bind mount.
var propagations = map[string]bool{
	"private": true, "rprivate": true, "shared": true, "rshared": true, "slave": true, "rslave": true,
}

// mountFlags are the per-mount flags podman accepts on -v and --tmpfs.
var mountFlags = map[string]bool{
	"nosuid": true, "suid": true, "nodev": true, "dev": true, "noexec": true, "exec": true,
}

// forbiddenDest are the container paths no user mount may replace: the root
// and the kernel file systems urun mounts itself.
var forbiddenDest = map[string]bool{"/": true, "/proc": true, "/sys": true, "/dev": true}

// CheckDestination checks a container path of a mount and returns it
// cleaned.
func CheckDestination(p string) (string, error) {
	switch {
	case p == "":
		return "", fmt.Errorf("the container path is empty; give an absolute path such as /data")
	case !path.IsAbs(p):
		return "", fmt.Errorf("the container path %q is not absolute; write it as %q", p, "/"+p)
	case strings.ContainsRune(p, 0):
		return "", fmt.Errorf("the container path contains a NUL byte")
	}
	p = path.Clean(p)
	if forbiddenDest[p] {
		return "", fmt.Errorf("cannot mount over %s, which urun mounts itself; choose another container path", p)
	}
	return p, nil
}

func checkSource(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("the host path is empty")
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("the host path contains a NUL byte")
	case !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "."):
		// podman reads a bare name as a named volume; urun has none.
		return fmt.Errorf("%q is not a host path (urun has no named volumes); write %q for a directory here", s, "./"+s)
	}
	return nil
}

// bindOpts collects the options of a bind mount and checks them against each
// other.
type bindOpts struct {
	ro, rw, chown, nonRecursive bool
	propagation                 string
	flags                       []string
}

func (b *bindOpts) add(o string) error {
	switch {
	case o == "ro" || o == "readonly":
		b.ro = true
	case o == "rw":
		b.rw = true
	case o == "z" || o == "Z":
		// SELinux relabelling: there is no SELinux here.
	case o == ChownOption:
		b.chown = true
	case o == "bind":
		b.nonRecursive = true
	case o == "rbind":
		b.nonRecursive = false
	case propagations[o]:
		if b.propagation != "" && b.propagation != o {
			return fmt.Errorf("two propagation options (%s and %s); give one", b.propagation, o)
		}
		b.propagation = o
	case mountFlags[o]:
		b.flags = append(b.flags, o)
	default:
		return fmt.Errorf("unknown option %q; use ro, rw, z, Z, U, [r]private, [r]shared, [r]slave, bind, rbind, nosuid, nodev, noexec, suid, dev or exec", o)
	}
	if b.ro && b.rw {
		return fmt.Errorf("both ro and rw; give one")
	}
	return nil
}

func (b *bindOpts) mount(src, dst string) specs.Mount {
	opts := []string{"rbind"}
	if b.nonRecursive {
		opts[0] = "bind"
	}
	if b.ro {
		opts = append(opts, "ro")
	} else {
		opts = append(opts, "rw")
	}
	prop := b.propagation
	if prop == "" {
		prop = "rprivate"
	}
	opts = append(opts, prop)
	opts = append(opts, b.flags...)
	if b.chown {
		opts = append(opts, ChownOption)
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts}
}

// ParseVolume parses -v HOSTPATH:CTRPATH[:OPTS] (OPTS comma-separated, as
// podman's).
func ParseVolume(v string) (specs.Mount, error) {
	bad := func(err error) (specs.Mount, error) {
		return specs.Mount{}, fmt.Errorf("bad -v %q: %w", v, err)
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return bad(fmt.Errorf("write it as HOSTPATH:CTRPATH[:OPTIONS]"))
	}
	if err := checkSource(parts[0]); err != nil {
		return bad(err)
	}
	dst, err := CheckDestination(parts[1])
	if err != nil {
		return bad(err)
	}
	var b bindOpts
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			if err := b.add(o); err != nil {
				return bad(err)
			}
		}
	}
	return b.mount(parts[0], dst), nil
}

// tmpfsOpts collects the options of a tmpfs, with podman's defaults
// (rw,noexec,nosuid,nodev).
type tmpfsOpts struct {
	ro         bool
	size, mode string
	flags      map[string]string // the flag group (exec/noexec ...) -> the one given last
	extra      []string
}

func newTmpfsOpts() *tmpfsOpts {
	return &tmpfsOpts{flags: map[string]string{"exec": "noexec", "suid": "nosuid", "dev": "nodev"}}
}

func (t *tmpfsOpts) add(o string) error {
	k, v, hasVal := strings.Cut(o, "=")
	switch {
	case o == "ro" || o == "readonly":
		t.ro = true
	case o == "rw":
		t.ro = false
	case mountFlags[o]:
		t.flags[strings.TrimPrefix(o, "no")] = o
	case k == "size" && hasVal:
		return t.setSize(v)
	case k == "mode" && hasVal:
		return t.setMode(v)
	case (k == "nr_inodes" || k == "uid" || k == "gid") && hasVal:
		if _, err := strconv.ParseUint(v, 10, 32); err != nil {
			return fmt.Errorf("%s=%q is not a number", k, v)
		}
		t.extra = append(t.extra, o)
	case o == "tmpcopyup" || o == "notmpcopyup" || o == "z" || o == "Z":
		// tmpcopyup is podman's copy of the directory's content: urun
		// gives an empty tmpfs (notmpcopyup), and there is no SELinux.
	default:
		return fmt.Errorf("unknown option %q; use size=, mode=, nr_inodes=, uid=, gid=, ro, rw, noexec, exec, nosuid, suid, nodev or dev", o)
	}
	return nil
}

func (t *tmpfsOpts) setSize(v string) error {
	n, err := units.RAMInBytes(v)
	if err != nil || n <= 0 {
		return fmt.Errorf("size %q is not a size; write it as 64m, 1g or 512k", v)
	}
	t.size = strconv.FormatInt(n, 10)
	return nil
}

func (t *tmpfsOpts) setMode(v string) error {
	m, err := strconv.ParseUint(v, 8, 32)
	if err != nil || m > 0o7777 {
		return fmt.Errorf("mode %q is not an octal file mode such as 1777 or 755", v)
	}
	t.mode = fmt.Sprintf("%o", m)
	return nil
}

func (t *tmpfsOpts) mount(dst string) specs.Mount {
	opts := []string{"rw"}
	if t.ro {
		opts[0] = "ro"
	}
	for _, g := range []string{"exec", "suid", "dev"} {
		opts = append(opts, t.flags[g])
	}
	if t.size != "" {
		opts = append(opts, "size="+t.size)
	}
	if t.mode != "" {
		opts = append(opts, "mode="+t.mode)
	}
	opts = append(opts, t.extra...)
	return specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: opts}
}

// ParseTmpfs parses --tmpfs CTRPATH[:OPTS].
func ParseTmpfs(v string) (specs.Mount, error) {
	bad := func(err error) (specs.Mount, error) {
		return specs.Mount{}, fmt.Errorf("bad --tmpfs %q: %w", v, err)
	}
	p, optStr, hasOpts := strings.Cut(v, ":")
	dst, err := CheckDestination(p)
	if err != nil {
		return bad(err)
	}
	t := newTmpfsOpts()
	if hasOpts {
		for _, o := range strings.Split(optStr, ",") {
			if err := t.add(o); err != nil {
				return bad(err)
			}
		}
	}
	return t.mount(dst), nil
}

// ParseMount parses --mount type=bind|tmpfs,KEY=VALUE,... with docker's and
// podman's key spellings.
func ParseMount(v string) (specs.Mount, error) {
	bad := func(err error) (specs.Mount, error) {
		return specs.Mount{}, fmt.Errorf("bad --mount %q: %w", v, err)
	}
	var typ, src, dst string
	var b bindOpts
	t := newTmpfsOpts()
	var bindOnly, tmpfsOnly []string
	for _, f := range strings.Split(v, ",") {
		k, val, hasVal := strings.Cut(f, "=")
		switch k {
		case "type":
			typ = val
		case "src", "source":
			src = val
		case "dst", "destination", "target":
			dst = val
		case "ro", "readonly":
			ro := true
			if hasVal {
				var err error
				if ro, err = strconv.ParseBool(val); err != nil {
					return bad(fmt.Errorf("%s=%q: want true or false", k, val))
				}
			}
			b.ro, t.ro = ro, ro
		case "bind-propagation":
			if !propagations[val] {
				return bad(fmt.Errorf("bind-propagation=%q: use [r]private, [r]shared or [r]slave", val))
			}
			b.propagation = val
			bindOnly = append(bindOnly, k)
		case "bind-nonrecursive":
			nr, err := strconv.ParseBool(val)
			if err != nil {
				return bad(fmt.Errorf("bind-nonrecursive=%q: want true or false", val))
			}
			b.nonRecursive = nr
			bindOnly = append(bindOnly, k)
		case "relabel", "z", "Z":
			// SELinux: there is none here.
		case "U", "chown":
			if hasVal && val != "true" {
				continue
			}
			b.chown = true
			bindOnly = append(bindOnly, k)
		case "tmpfs-size":
			if err := t.setSize(val); err != nil {
				return bad(err)
			}
			tmpfsOnly = append(tmpfsOnly, k)
		case "tmpfs-mode":
			if err := t.setMode(val); err != nil {
				return bad(err)
			}
			tmpfsOnly = append(tmpfsOnly, k)
		default:
			return bad(fmt.Errorf("unknown key %q; use type, src, dst, ro, bind-propagation, bind-nonrecursive, U, tmpfs-size or tmpfs-mode", k))
		}
		if !hasVal && k != "ro" && k != "readonly" && k != "U" && k != "z" && k != "Z" {
			return bad(fmt.Errorf("%s needs a value (%s=...)", k, k))
		}
	}
	dst, err := CheckDestination(dst)
	if err != nil {
		return bad(err)
	}
	switch typ {
	case "bind":
		if len(tmpfsOnly) > 0 {
			return bad(fmt.Errorf("%s is for type=tmpfs", tmpfsOnly[0]))
		}
		if err := checkSource(src); err != nil {
			return bad(err)
		}
		return b.mount(src, dst), nil
	case "tmpfs":
		if len(bindOnly) > 0 {
			return bad(fmt.Errorf("%s is for type=bind", bindOnly[0]))
		}
		if src != "" {
			return bad(fmt.Errorf("a tmpfs has no source"))
		}
		return t.mount(dst), nil
	case "":
		return bad(fmt.Errorf("no type; give type=bind or type=tmpfs"))
	}
	return bad(fmt.Errorf("type %q is not supported; use type=bind or type=tmpfs", typ))
}

// ReadOnlyTmpfs are the tmpfs mounts of --read-only (podman's
// --read-only-tmpfs default), for the places programs expect to write.
func ReadOnlyTmpfs() []specs.Mount {
	o := []string{"rw", "nosuid", "nodev"}
	return []specs.Mount{
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: append(o, "mode=1777")},
		{Destination: "/var/tmp", Type: "tmpfs", Source: "tmpfs", Options: append(o, "mode=1777")},
		{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: append(o, "mode=755")},
	}
}
