package userns

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"unsafe"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/spec"
	"golang.org/x/sys/unix"
)

// setUser makes the stage the container user, runc's finalizeNamespace
// order: bounding set first (needs CAP_SETPCAP), then groups, gid and uid
// with PR_SET_KEEPCAPS so the permitted set survives the change from root,
// then the process's capability sets.
func setUser(p *specs.Process) *InitError {
	if err := dropBounding(p.Capabilities.Bounding); err != nil {
		return failf("dropping capabilities: %v", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return failf("keeping capabilities over the user change: %v", err)
	}
	u := p.User
	gids := make([]int, len(u.AdditionalGids))
	for i, g := range u.AdditionalGids {
		gids[i] = int(g)
	}
	// setgroups is denied where the gid map was written without the helper
	// (a one-id map): there is then nothing to drop, but groups asked for
	// cannot be had.
	if err := threadSetgroups(gids); err != nil && len(gids) > 0 {
		return failf("setting the supplementary groups %v: %v (they need subordinate gid ranges: ask an admin for /etc/subgid entries)", u.AdditionalGids, err)
	}
	if err := threadSetres(unix.SYS_SETRESGID, u.GID); err != nil {
		return failf("switching to gid %d: %v", u.GID, err)
	}
	if err := threadSetres(unix.SYS_SETRESUID, u.UID); err != nil {
		return failf("switching to uid %d: %v", u.UID, err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return failf("clearing keepcaps: %v", err)
	}
	if err := setCaps(p.Capabilities); err != nil {
		return failf("setting capabilities: %v", err)
	}
	return nil
}

// threadSetres and threadSetgroups change the calling thread's credentials
// only, as the capability, no_new_privs and seccomp calls around them do.
// Go's own setresuid, setresgid and setgroups (which x/sys/unix calls) stop
// every thread of the runtime to change them all alike: 1-2 ms of a start
// here. The stages exec from the thread they locked at their start, and
// execve takes the credentials of the thread that calls it and ends the
// others, so the command gets exactly these; the other threads run only
// the Go runtime until then, in a process that is not dumpable.
func threadSetres(nr uintptr, id uint32) error {
	if _, _, e := unix.RawSyscall(nr, uintptr(id), uintptr(id), uintptr(id)); e != 0 {
		return e
	}
	return nil
}

func threadSetgroups(gids []int) error {
	g := make([]uint32, len(gids))
	for i, x := range gids {
		g[i] = uint32(x)
	}
	var p unsafe.Pointer
	if len(g) > 0 {
		p = unsafe.Pointer(&g[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(g)), uintptr(p), 0); e != 0 {
		return e
	}
	return nil
}

// setRlimits applies --ulimit before the exec. The parent has checked the
// hard limits against its own, so a failure here is unexpected.
func setRlimits(rl []specs.POSIXRlimit) *InitError {
	for _, r := range rl {
		res, ok := spec.RlimitResource(r.Type)
		if !ok {
			return failf("unknown rlimit %s", r.Type)
		}
		if err := unix.Setrlimit(res, &unix.Rlimit{Cur: r.Soft, Max: r.Hard}); err != nil {
			return failf("setting %s to %d:%d: %v (a hard limit cannot go above the one urun runs with)", r.Type, r.Soft, r.Hard, err)
		}
	}
	return nil
}

// setSysctls writes the container's sysctls. It runs before the mounts,
// through the /proc the stage inherited: namespaced sysctls under /proc/sys
// show the namespaces of the process that opens them (this stage's own), and
// later the container's /proc/sys is read-only.
func setSysctls(sysctls map[string]string, ns []specs.LinuxNamespace) *InitError {
	own := map[string]specs.LinuxNamespaceType{"net": specs.NetworkNamespace, "ipc": specs.IPCNamespace, "uts": specs.UTSNamespace}
	for k, v := range sysctls {
		kind, err := spec.SysctlNamespace(k)
		if err != nil {
			return failf("%v", err)
		}
		// A namespace the container shares with its caller is the
		// host's: its sysctls are not the container's to change.
		if !hasNamespace(ns, own[kind]) {
			return failf("sysctl %s needs a %s namespace of the container's own: add {\"type\": \"%s\"} to linux.namespaces or remove the sysctl", k, own[kind], own[kind])
		}
		p := spec.SysctlPath(k)
		f, err := os.OpenFile(p, os.O_WRONLY|unix.O_NOFOLLOW, 0)
		if err == nil {
			_, err = f.WriteString(v)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return failf("--sysctl %s: this kernel has no such sysctl", k)
			}
			return failf("--sysctl %s=%s: the kernel refused it (%v); ids in a value must be mapped in the container", k, v, unwrapPath(err))
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// makeWorkdir creates a missing work directory as docker does, owned by the
// container user. It runs after pivot_root and resolves the path with
// pathrs-lite inside the container's root, so no symlink in the rootfs can
// make it create or chown anything elsewhere.
func makeWorkdir(cwd string, uid, gid uint32) error {
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer root.Close()
	if h, err := pathrs.OpenatInRoot(root, cwd); err == nil {
		h.Close()
		return nil
	}
	// The components past the deepest existing one are made here, and only
	// they are given to the user.
	comps := strings.Split(strings.Trim(path.Clean(cwd), "/"), "/")
	have := 0
	for i := len(comps) - 1; i > 0; i-- {
		if h, err := pathrs.OpenatInRoot(root, "/"+strings.Join(comps[:i], "/")); err == nil {
			h.Close()
			have = i
			break
		}
	}
	d, err := pathrs.MkdirAllHandle(root, cwd, 0o755)
	if err != nil {
		return err
	}
	d.Close()
	for i := have + 1; i <= len(comps); i++ {
		h, err := pathrs.OpenatInRoot(root, "/"+strings.Join(comps[:i], "/"))
		if err != nil {
			return err
		}
		err = unix.Fchownat(int(h.Fd()), "", int(uid), int(gid), unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
		h.Close()
		if err != nil {
			return fmt.Errorf("giving %s to %d:%d: %w", "/"+strings.Join(comps[:i], "/"), uid, gid, err)
		}
	}
	return nil
}

// giveTerminal makes the terminal on stdin the container user's, as a login
// does: a program that opens /dev/tty (sudo's prompt, less) then works for
// a user other than root. The group stays the one devpts gave it (tty).
func giveTerminal(uid uint32) error {
	if uid == 0 {
		return nil
	}
	return unix.Fchown(0, int(uid), -1)
}

// setOOMScoreAdj writes process.oomScoreAdj (nil: the caller's is kept, as
// runc does) to the stage's own oom_score_adj, which the command inherits.
func setOOMScoreAdj(adj *int) *InitError {
	if adj == nil {
		return nil
	}
	if err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(*adj)), 0); err != nil {
		return failf("setting oom_score_adj to %d: %v (a score below urun's own needs CAP_SYS_RESOURCE)", *adj, unwrapPath(err))
	}
	return nil
}
