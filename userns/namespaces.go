package userns

import (
	"fmt"
	"os/exec"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsPlan is how the init stage gets each namespace a spec lists:
//   - a namespace without a path is new: a clone flag (the cgroup namespace
//     excepted: the stage unshares it once it is in its scope, so that the
//     scope is its root);
//   - a pid, network, IPC, UTS or cgroup namespace with a path is joined by
//     the thread that forks the stage (setns on a locked thread changes that
//     thread only, and a child inherits the namespaces of the thread that
//     forked it: runc's order, join first, then unshare);
//   - a mount namespace with a path cannot be joined by any thread of a Go
//     process (the kernel refuses setns(CLONE_NEWNS) to a multi-threaded
//     one), so the stage is started through util-linux nsenter --mount=PATH,
//     single-threaded C, which then execs the stage as it does for exec.
//
// A config without a mount namespace gets none: the stage mounts in its
// caller's (mount.Options.CallerMountNS).
//
// Joining a user namespace by path is refused: the namespaces made by the
// clone would belong to the caller's user namespace, in which the joined
// stage has no capabilities, so it could not mount or set its hostname.
type nsPlan struct {
	flags  uintptr
	userNS bool // a new user namespace: the parent writes its maps
	// joins are the namespaces the forking thread enters before the clone.
	joins []nsJoin
	// mountPath is the mount namespace nsenter enters ("" for none).
	mountPath string
}

type nsJoin struct {
	typ  specs.LinuxNamespaceType
	path string
}

// cloneFlag of each type a clone can make.
var cloneFlag = map[specs.LinuxNamespaceType]uintptr{
	specs.UserNamespace: unix.CLONE_NEWUSER, specs.MountNamespace: unix.CLONE_NEWNS,
	specs.PIDNamespace: unix.CLONE_NEWPID, specs.UTSNamespace: unix.CLONE_NEWUTS,
	specs.IPCNamespace: unix.CLONE_NEWIPC, specs.NetworkNamespace: unix.CLONE_NEWNET,
}

// setnsType is the setns nstype of each namespace a thread may join.
var setnsType = map[specs.LinuxNamespaceType]int{
	specs.PIDNamespace: unix.CLONE_NEWPID, specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.IPCNamespace: unix.CLONE_NEWIPC, specs.UTSNamespace: unix.CLONE_NEWUTS,
	specs.CgroupNamespace: unix.CLONE_NEWCGROUP,
}

// planNamespaces turns a spec's namespace list into an nsPlan. The list
// has been checked (package bundle): known types, each once.
func planNamespaces(ns []specs.LinuxNamespace) (nsPlan, error) {
	var p nsPlan
	for _, n := range ns {
		if n.Path == "" {
			if n.Type == specs.UserNamespace {
				p.userNS = true
			}
			p.flags |= cloneFlag[n.Type]
			continue
		}
		switch n.Type {
		case specs.UserNamespace:
			return p, fmt.Errorf("joining the user namespace %s is not supported: remove its path to give the container a new one", n.Path)
		case specs.MountNamespace:
			p.mountPath = n.Path
		default:
			if _, ok := setnsType[n.Type]; !ok {
				return p, fmt.Errorf("joining a %s namespace by path is not supported", n.Type)
			}
			p.joins = append(p.joins, nsJoin{n.Type, n.Path})
		}
	}
	if p.mountPath != "" && p.userNS {
		return p, fmt.Errorf("joining the mount namespace %s with a new user namespace is not supported: the mount namespace would not belong to it", p.mountPath)
	}
	return p, nil
}

// joinsPID reports whether the stage joins a PID namespace by path.
func (p nsPlan) joinsPID() bool {
	for _, j := range p.joins {
		if j.typ == specs.PIDNamespace {
			return true
		}
	}
	return false
}

func hasNamespace(ns []specs.LinuxNamespace, t specs.LinuxNamespaceType) bool {
	for _, n := range ns {
		if n.Type == t {
			return true
		}
	}
	return false
}

// startJoined starts cmd from a new OS thread that first joins p's
// namespaces. The thread is the child's parent for Pdeathsig, so it stays
// until done is closed (after the child is reaped); it then exits with its
// goroutine still locked, and the Go runtime ends the thread instead of
// reusing it in the container's namespaces.
func startJoined(cmd *exec.Cmd, joins []nsJoin, done <-chan struct{}) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		for _, j := range joins {
			if err := setns(j); err != nil {
				started <- err
				return
			}
		}
		err := cmd.Start()
		started <- err
		if err != nil {
			return
		}
		<-done
	}()
	return <-started
}

func setns(j nsJoin) error {
	fd, err := unix.Open(j.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the %s namespace %s: %w", j.typ, j.path, unwrapPath(err))
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, setnsType[j.typ]); err != nil {
		return fmt.Errorf("joining the %s namespace %s: %w", j.typ, j.path, err)
	}
	return nil
}
