package userns

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/trace"
	"github.com/urun-dev/urun/internal/wire"
	"github.com/urun-dev/urun/mount"
	"github.com/urun-dev/urun/seccomp"
	"github.com/urun-dev/urun/spec"
	"golang.org/x/sys/unix"
)

// IsInit reports whether this process is an init stage.
func IsInit() bool { return len(os.Args) > 1 && os.Args[1] == initArg }

// RunInit is the init stage: it waits for the parent's go, sets up the
// container from inside its namespaces and execs the command. It never returns.
func RunInit() {
	// Namespace changes made by unshare apply to the calling thread only; the
	// exec must come from the same thread.
	runtime.LockOSThread()
	// The parent-death signal again, for a stage whose parent could not set
	// it (one in a joined PID namespace, see Start): the stage dies with the
	// thread that forked it. Had the parent gone already, the config pipe
	// reads EOF and the stage exits.
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	exeFd := exeFdArg()
	startTrace()
	warmConfigCodec()
	errPipe := os.NewFile(fdError, "error-pipe")
	cfgPipe := os.NewFile(fdConfig, "config-pipe")
	var c Config
	if ie := readConfig(cfgPipe, &c); ie != nil {
		fail(errPipe, ie)
	}
	trace.Mark("config received")
	if !wantsInit(c.Spec) && exeFd > 0 {
		unix.Close(exeFd)
		exeFd = 0
	}
	// From here on nothing in the container may ptrace this process or open
	// its /proc files (its exe, its memory) until the exec of the command
	// resets it. Not before: the parent and newuidmap write the id maps
	// through /proc/PID, which a non-dumpable process's owner cannot.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fail(errPipe, failf("making the init stage non-dumpable: %v", err))
	}
	if ie := setup(&c); ie != nil {
		fail(errPipe, ie)
	}
	if c.EarlyTerminal && c.ConsoleFd != 0 {
		if ie := earlyTerminal(&c); ie != nil {
			fail(errPipe, ie)
		}
	}
	trace.Mark("set up, waiting for the go")
	// Set up: tell the parent, which tidies what the container no longer
	// needs from the host (the state directory), and wait for its go.
	var goByte [1]byte
	if c.Gated {
		// An engine learns that the command is missing from create, as
		// with runc and crun: podman maps the error text of create to 127,
		// while a failed start is only "start failed".
		if ie := checkCommand(c.Spec.Process); ie != nil {
			fail(errPipe, ie)
		}
		holdSignals()
	}
	if _, err := errPipe.Write([]byte{createdByte}); err != nil {
		os.Exit(StatusError)
	}
	if _, err := io.ReadFull(cfgPipe, goByte[:]); err != nil {
		// The parent went away or aborted the run; it reports why.
		os.Exit(StatusError)
	}
	if c.Gated {
		releaseSignals()
	}
	if c.HandOff {
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, 0, 0, 0, 0); err != nil {
			fail(errPipe, failf("clearing the parent-death signal: %v", err))
		}
	}
	cfgPipe.Close()
	trace.Mark("go received")
	fail(errPipe, execCommand(&c, exeFd))
}

// exeFdArg is the stage's descriptor of the sealed binary it was started
// from (its number is the argument after initArg). The running program needs
// only the mapping, and the container must get no handle on it: it is closed
// at once unless --init execs the tiny init from it, and then it is
// close-on-exec (the tiny init holds only the mapping too).
func exeFdArg() int {
	if len(os.Args) > 2 {
		if fd, err := strconv.Atoi(os.Args[2]); err == nil && fd > fdError {
			unix.CloseOnExec(fd)
			return fd
		}
	}
	return 0
}

// warmConfigCodec works out Config's fingerprint (package wire) now, while
// the parent still writes the id maps and attaches the scope, so that the
// decode is only the decode.
func warmConfigCodec() {
	wire.Fingerprint(reflect.TypeFor[Config]())
	trace.Mark("config codec warmed")
}

// readConfig reads the length-prefixed config. A parent that goes away before
// sending it ends the stage quietly: the parent reports why.
func readConfig(r io.Reader, c *Config) *InitError {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		os.Exit(StatusError)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxConfig {
		return failf("the init config is too large (%d bytes)", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		os.Exit(StatusError)
	}
	trace.Mark("config read, " + strconv.Itoa(len(b)) + " bytes")
	if err := wire.Unmarshal(b, c); err != nil {
		return failf("decoding the init config: %v", err)
	}
	return nil
}

func fail(p *os.File, e *InitError) {
	b, _ := json.Marshal(e)
	_, _ = p.Write(b)
	os.Exit(e.Status)
}

func failf(format string, a ...any) *InitError {
	return &InitError{Status: StatusError, Msg: fmt.Sprintf(format, a...)}
}

func setup(c *Config) *InitError {
	s := c.Spec
	if ie := becomeRoot(s); ie != nil {
		return ie
	}
	// The parent has put this process in its cgroup; a cgroup namespace made
	// now has that cgroup as its root, so the container sees "0::/".
	if s.Linux != nil && spec.NewNamespace(s.Linux.Namespaces, specs.CgroupNamespace) {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return failf("unsharing the cgroup namespace: %v", err)
		}
	}
	// Through the /proc the stage inherited, while it still has every
	// capability: lowering the score needs CAP_SYS_RESOURCE.
	if ie := setOOMScoreAdj(s.Process.OOMScoreAdj); ie != nil {
		return ie
	}
	if err := joinSessionKeyring(); err != nil {
		return failf("%v", err)
	}
	trace.Mark("cgroup namespace, session keyring")
	if ie := setSysctls(s.Linux.Sysctl, s.Linux.Namespaces); ie != nil {
		return ie
	}
	if err := mount.Setup(s, mount.Options{
		CgroupRequired: c.CgroupRequired, HaveScope: c.HaveScope, GID5Mapped: c.GID5Mapped, Overlay: c.Overlay,
		CallerMountNS: s.Linux != nil && !hasNamespace(s.Linux.Namespaces, specs.MountNamespace),
	}); err != nil {
		return failf("%v", err)
	}
	trace.Mark("mounts done, pivot_root")
	// Only in a UTS namespace of the container's (new or joined): one it
	// shares with its caller is the host's, whose name is not the
	// container's to change (runtime-tools' linux_ns_itype lists no
	// namespaces and still names a host).
	if s.Hostname != "" && s.Linux != nil && hasNamespace(s.Linux.Namespaces, specs.UTSNamespace) {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return failf("setting the hostname: %v", err)
		}
	}
	if s.Linux != nil && spec.NewNamespace(s.Linux.Namespaces, specs.NetworkNamespace) {
		if err := loopbackUp(); err != nil {
			return failf("bringing up lo: %v", err)
		}
	}
	if err := makeWorkdir(s.Process.Cwd, s.Process.User.UID, s.Process.User.GID); err != nil {
		return failf("creating the work directory %s: %v", s.Process.Cwd, err)
	}
	if err := unix.Chdir(s.Process.Cwd); err != nil {
		return failf("entering the work directory %s: %v", s.Process.Cwd, err)
	}
	trace.Mark("hostname, lo, workdir")
	return nil
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// execCommand finds the command in the container, narrows the capabilities and
// execs it. It returns only on failure.
func execCommand(c *Config, exeFd int) *InitError {
	var terminal func() error
	if c.ConsoleFd != 0 {
		terminal = func() error { return setupTerminal(c) }
	}
	var final func(path string) *InitError
	if exeFd > 0 {
		final = func(path string) *InitError {
			// The error pipe goes on to the tiny init (see RunTini).
			if _, err := unix.FcntlInt(fdError, unix.F_SETFD, 0); err != nil {
				return failf("passing the error pipe to the init: %v", err)
			}
			exe, argv := tiniArgs(exeFd, path, c.Spec.Process.Args)
			err := unix.Exec(exe, argv, c.Spec.Process.Env)
			return failf("starting the init (--init): %v", err)
		}
	}
	return startProcess(c.Spec.Process, c.Seccomp, terminal, final)
}

// startProcess is the end of both stages, the init stage's and exec's: it
// finds p's command inside the container, gives it its terminal (terminal,
// if not nil, makes it stdio), then applies rlimits, no_new_privs, the
// seccomp filter, the user and the capabilities in runc's order, and execs
// the command, or calls final with its path instead (--init's tiny init).
// It returns only on failure.
func startProcess(p *specs.Process, filter *seccomp.Program, terminal func() error, final func(path string) *InitError) *InitError {
	path, err := lookPath(p.Args[0], p.Env)
	if err != nil {
		return execError(p.Args[0], err)
	}
	// The terminal comes last before the exec: once the command's stdio is
	// the terminal, nothing may fail with a message the user would not see.
	if terminal != nil {
		if err := terminal(); err != nil {
			return failf("setting up the container's terminal: %v", err)
		}
		if err := giveTerminal(p.User.UID); err != nil {
			return failf("giving the container's terminal to uid %d: %v", p.User.UID, err)
		}
	}
	if ie := setRlimits(p.Rlimits); ie != nil {
		return ie
	}
	if p.User.Umask != nil {
		unix.Umask(int(*p.User.Umask & 0o777))
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return failf("setting no_new_privs: %v", err)
		}
	}
	// seccomp(2) needs no_new_privs or CAP_SYS_ADMIN in this user namespace
	// (runc's order). Without no_new_privs the filter goes on here, while
	// the stage still has every capability, which setUser is about to drop;
	// what is left before the exec (setgroups, setres[ug]id, prctl, capget,
	// capset, close_range, execve) the default profile lets through.
	if filter != nil && !p.NoNewPrivileges {
		if err := filter.Load(); err != nil {
			return failf("%v", err)
		}
	}
	if ie := setUser(p); ie != nil {
		return ie
	}
	// With no_new_privs, last before the exec.
	if filter != nil && p.NoNewPrivileges {
		if err := filter.Load(); err != nil {
			return failf("%v", err)
		}
	}
	// Nothing but stdio may reach the command; the error pipe closes on exec,
	// which tells the parent the command is running.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		for fd := 3; fd < 1024; fd++ {
			unix.CloseOnExec(fd)
		}
	}
	trace.Mark("user, caps, seccomp: exec")
	trace.Usage()
	if final != nil {
		return final(path)
	}
	err = unix.Exec(path, p.Args, p.Env)
	return execError(p.Args[0], err)
}

// checkCommand fails with execError's message when p's command does not
// exist in the container (the exec would fail with ENOENT).
func checkCommand(p *specs.Process) *InitError {
	if p == nil || len(p.Args) == 0 {
		return nil
	}
	path, err := lookPath(p.Args[0], p.Env)
	if err == nil {
		var st unix.Stat_t
		err = unix.Stat(path, &st)
	}
	if errors.Is(err, unix.ENOENT) {
		return execError(p.Args[0], unix.ENOENT)
	}
	return nil
}

func execError(name string, err error) *InitError {
	switch {
	case errors.Is(err, unix.ENOENT):
		if strings.Contains(name, "/") {
			return &InitError{StatusNotFound, fmt.Sprintf("%q: no such file or directory in the container", name)}
		}
		return &InitError{StatusNotFound, fmt.Sprintf("%q: executable file not found in the container's $PATH", name)}
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOEXEC), errors.Is(err, unix.EISDIR):
		return &InitError{StatusNotExecutable, fmt.Sprintf("%q cannot be executed: %v", name, err)}
	}
	return &InitError{StatusNotExecutable, fmt.Sprintf("running %q: %v", name, err)}
}

// lookPath resolves name against the container's PATH, as execvp would.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathEnv := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathEnv = v
		}
	}
	denied := false
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		st, err := os.Stat(p)
		if err != nil || st.IsDir() {
			continue
		}
		if unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
		denied = true
	}
	if denied {
		return "", unix.EACCES
	}
	return "", unix.ENOENT
}

// becomeRoot makes a stage in a new user namespace its root. The stage runs
// as the caller's ids, which the maps of an OCI config need not map (root
// asking for 0 -> 100000): unmapped, it is the overflow id there, whose
// files the kernel refuses to create (EOVERFLOW). It has every capability in
// the namespace (ambient, see Start), so it may become 0 once the maps are
// written, as runc's nsexec does. All threads change (syscall's
// Setresuid), so nothing the runtime does later runs as the overflow id.
func becomeRoot(s *specs.Spec) *InitError {
	if s.Linux == nil || !spec.NewNamespace(s.Linux.Namespaces, specs.UserNamespace) {
		return nil
	}
	// Only ids the maps left out: a map that keeps the caller's own id
	// (--userns keep-id without ranges) stays as it is.
	if unix.Getgid() == overflowID("gid") {
		if err := syscall.Setresgid(0, 0, 0); err != nil {
			return failf("becoming gid 0 in the container's user namespace: %v (linux.gidMappings must map container gid 0 or the caller's gid)", err)
		}
	}
	if unix.Getuid() == overflowID("uid") {
		if err := syscall.Setresuid(0, 0, 0); err != nil {
			return failf("becoming uid 0 in the container's user namespace: %v (linux.uidMappings must map container uid 0 or the caller's uid)", err)
		}
	}
	return nil
}

// overflowID is the id an unmapped uid or gid reads as (65534 by default).
func overflowID(kind string) int {
	if b, err := os.ReadFile("/proc/sys/kernel/overflow" + kind); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return n
		}
	}
	return 65534
}

// traceArg is the stage's argument that turns URUN_TRACE on in it: the
// descriptor of its trace pipe and the parent's clock base.
func traceArg(fd int) string {
	return "trace=" + strconv.Itoa(fd) + ":" + strconv.FormatInt(trace.Base(), 10)
}

// startTrace turns tracing on when the parent passed traceArg (after the
// sealed binary's descriptor).
func startTrace() {
	if len(os.Args) < 4 {
		return
	}
	v, ok := strings.CutPrefix(os.Args[3], "trace=")
	if !ok {
		return
	}
	fds, bases, _ := strings.Cut(v, ":")
	fd, err1 := strconv.Atoi(fds)
	base, err2 := strconv.ParseInt(bases, 10, 64)
	if err1 == nil && err2 == nil && fd > fdError {
		trace.StartStage(fd, base)
	}
}
