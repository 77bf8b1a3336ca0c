package cgroupdelegate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// DefaultTimeout bounds the D-Bus work of Attach and Close when the caller's
// context has no deadline. It is generous because a loaded machine (or a VM
// without hardware virtualisation) can take seconds to answer.
const DefaultTimeout = 60 * time.Second

// Options name and describe the scope.
type Options struct {
	// Unit is the scope's unit name, "urun-<id>.scope".
	Unit string
	// Slice is the slice the scope goes in ("": the manager's default),
	// from an engine's cgroupsPath (ParseSystemdPath).
	Slice string
	// Description is the unit's description (shown by systemctl status).
	Description string
	// Verbose reports on Log why a container runs without a scope.
	Verbose bool
	// Log receives the Verbose notes; nil means os.Stderr.
	Log io.Writer
}

// Scope is a running transient scope that holds the container's processes.
// Its cgroup is delegated (Delegate=yes): urun owns the subtree.
type Scope struct {
	unit string
	path string
	lim  Limits
	mgr  *manager

	once sync.Once
	err  error
}

// Attach asks systemd for a transient scope named opt.Unit holding process pid,
// with Delegate=yes and the limits in lim, waits for the job, and checks that
// the process is in the scope and that every requested limit took effect.
//
// It returns (nil, nil) when this host cannot give a scope (no cgroup v2, no
// systemd manager) and no limit was requested: the container then runs
// without one. When limits were requested, the error is one line saying what
// is missing and how to get it.
func Attach(ctx context.Context, pid int, lim Limits, opt Options) (*Scope, error) {
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(opt.Unit, ".scope") || strings.ContainsAny(opt.Unit, "/\\ \t\n") || len(opt.Unit) > 255 {
		return nil, fmt.Errorf("invalid scope unit name %q: want a name like urun-ID.scope", opt.Unit)
	}
	if pid <= 0 {
		return nil, fmt.Errorf("invalid process id %d for scope %s", pid, opt.Unit)
	}
	if v2, err := IsCgroup2(Mountpoint); err != nil || !v2 {
		if lim.Any() {
			return nil, errNoV2()
		}
		opt.note("no cgroup v2 at %s: running without a cgroup scope", Mountpoint)
		return nil, nil
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	mgr, err := connect()
	if err != nil {
		if lim.Any() {
			if os.Geteuid() == 0 {
				return nil, fmt.Errorf("resource limits need the systemd system manager, which is not reachable (%v): run on a host booted with systemd, or run without limits", err)
			}
			return nil, errNoUserManager()
		}
		opt.note("no systemd manager (%v): running without a cgroup scope", err)
		return nil, nil
	}
	s := &Scope{unit: opt.Unit, lim: lim, mgr: mgr}
	if err := s.start(ctx, pid, opt); err != nil {
		mgr.conn.Close()
		return nil, err
	}
	if err := s.check(ctx, pid); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Precheck tells early, before anything is started, whether limits asked for
// can be had on this host: cgroup v2 and a systemd manager's socket. Attach
// checks again (and more); this only saves starting a container that would
// be torn down at once.
func Precheck(lim Limits) error {
	if err := lim.Validate(); err != nil {
		return err
	}
	if !lim.Any() {
		return nil
	}
	if v2, err := IsCgroup2(Mountpoint); err != nil || !v2 {
		return errNoV2()
	}
	if os.Geteuid() != 0 {
		if _, err := os.Stat(filepath.Join(RuntimeDir(), "bus")); err != nil {
			if _, err2 := os.Stat(filepath.Join(RuntimeDir(), "systemd", "private")); err2 != nil {
				return errNoUserManager()
			}
		}
	}
	return nil
}

// errNoV2 is the answer to limits asked for on a host without cgroup v2.
func errNoV2() error {
	return errors.New("resource limits need cgroup v2, but " + Mountpoint +
		" is cgroup v1 or a v1/v2 hybrid on this host: boot with systemd.unified_cgroup_hierarchy=1, or run without --memory/--cpus/--pids-limit")
}

func errNoUserManager() error {
	return fmt.Errorf("resource limits need your systemd user manager, which is not running (%s/bus is missing): run `loginctl enable-linger %s` (or log in through systemd-logind), or run without limits", RuntimeDir(), userName())
}

// Path returns the host path of the scope's cgroup directory.
func (s *Scope) Path() string { return s.path }

// Unit returns the scope's unit name.
func (s *Scope) Unit() string { return s.unit }

func (o Options) note(format string, args ...any) {
	if !o.Verbose {
		return
	}
	w := o.Log
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "urun: "+format+"\n", args...)
}

func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

func userName() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "$USER"
}

// properties are the unit properties of the scope: what podman and runc send
// (no default dependencies, so the scope neither waits for nor pulls in other
// units; accounting on, so the limits and memory.events exist) plus the limits.
func (s *Scope) properties(pid int, desc string) []sd.Property {
	if desc == "" {
		desc = "urun container " + strings.TrimSuffix(s.unit, ".scope")
	}
	p := []sd.Property{
		sd.PropDescription(desc),
		sd.PropPids(uint32(pid)),
		{Name: "Delegate", Value: dbus.MakeVariant(true)},
		{Name: "DefaultDependencies", Value: dbus.MakeVariant(false)},
		{Name: "MemoryAccounting", Value: dbus.MakeVariant(true)},
		{Name: "CPUAccounting", Value: dbus.MakeVariant(true)},
		{Name: "TasksAccounting", Value: dbus.MakeVariant(true)},
		// An OOM kill anywhere in the container ends it, and systemd records
		// Result=oom-kill, which OOMKilled relies on. Set explicitly because
		// DefaultOOMPolicy= may say otherwise.
		{Name: "OOMPolicy", Value: dbus.MakeVariant("stop")},
		// Stopping the scope must not hang on a process that ignores SIGTERM
		// (the container's PID 1 ignores it unless it has a handler).
		{Name: "TimeoutStopUSec", Value: dbus.MakeVariant(uint64(5 * time.Second / time.Microsecond))},
	}
	l := s.lim
	if l.MemoryMax > 0 {
		p = append(p, sd.Property{Name: "MemoryMax", Value: dbus.MakeVariant(uint64(l.MemoryMax))})
	}
	if swap, ok := l.swapMax(); ok {
		p = append(p, sd.Property{Name: "MemorySwapMax", Value: dbus.MakeVariant(swap)})
	}
	if l.CPUs > 0 {
		p = append(p, sd.Property{Name: "CPUQuotaPerSecUSec", Value: dbus.MakeVariant(l.cpuQuotaPerSec())})
	}
	switch {
	case l.PidsMax > 0:
		p = append(p, sd.Property{Name: "TasksMax", Value: dbus.MakeVariant(uint64(l.PidsMax))})
	case l.PidsMax == 0:
		// podman's default, only because the scope exists anyway; it is
		// not read back, so a manager without the pids controller still
		// runs the container.
		p = append(p, sd.Property{Name: "TasksMax", Value: dbus.MakeVariant(uint64(DefaultPidsMax))})
	default:
		p = append(p, sd.Property{Name: "TasksMax", Value: dbus.MakeVariant(uint64(math.MaxUint64))})
	}
	return p
}

// start makes the scope and waits for systemd's job. A failed unit of the same
// name left by an earlier run is reset and the start retried once.
func (s *Scope) start(ctx context.Context, pid int, opt Options) error {
	props := s.properties(pid, opt.Description)
	if opt.Slice != "" {
		props = append(props, sd.PropSlice(opt.Slice))
	}
	for attempt := 0; ; attempt++ {
		ch := make(chan string, 1)
		_, err := s.mgr.conn.StartTransientUnitContext(ctx, s.unit, "fail", props, ch)
		if err != nil {
			if dbusErrorName(err) == "org.freedesktop.systemd1.UnitExists" && attempt == 0 {
				_ = s.mgr.conn.ResetFailedUnitContext(ctx, s.unit)
				continue
			}
			return fmt.Errorf("creating cgroup scope %s through %s: %w", s.unit, s.mgr.where, err)
		}
		select {
		case res := <-ch:
			if res != "done" {
				return fmt.Errorf("creating cgroup scope %s: systemd's job ended with %q (see journalctl%s -u %s)",
					s.unit, res, map[bool]string{true: " --user", false: ""}[s.mgr.user], s.unit)
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("creating cgroup scope %s: no answer from %s: %w", s.unit, s.mgr.where, ctx.Err())
		}
	}
}

// check finds the scope's cgroup, makes sure pid is in it, and reads every
// requested limit back: a limit systemd accepted but could not apply (its
// controller is not delegated) would otherwise be silently ignored.
func (s *Scope) check(ctx context.Context, pid int) error {
	prop, err := s.mgr.conn.GetUnitTypePropertyContext(ctx, s.unit, "Scope", "ControlGroup")
	if err != nil {
		return fmt.Errorf("reading the cgroup of scope %s: %w", s.unit, err)
	}
	cg, _ := prop.Value.Value().(string)
	if cg == "" || !strings.HasPrefix(cg, "/") {
		return fmt.Errorf("scope %s has no cgroup (ControlGroup=%q)", s.unit, cg)
	}
	s.path = filepath.Join(Mountpoint, cg)
	got, err := OwnCgroup(strconv.Itoa(pid))
	if err != nil {
		return err
	}
	if got != cg {
		return fmt.Errorf("process %d is in cgroup %s, not in scope %s (%s)", pid, got, s.unit, cg)
	}

	l := s.lim
	if l.MemoryMax > 0 {
		v, err := readLimit(filepath.Join(s.path, "memory.max"))
		if err != nil {
			return s.missing("memory", "--memory", err)
		}
		if page := int64(os.Getpagesize()); v < 0 || v > l.MemoryMax || l.MemoryMax-v >= page {
			return fmt.Errorf("--memory %s did not take effect: memory.max of %s is %d", FormatSize(l.MemoryMax), s.unit, v)
		}
	}
	if l.MemorySwap != 0 {
		v, err := readLimit(filepath.Join(s.path, "memory.swap.max"))
		if err != nil {
			return fmt.Errorf("--memory-swap needs swap accounting, which this kernel does not offer (%w): run without --memory-swap", err)
		}
		want, _ := l.swapMax()
		if (want == math.MaxUint64) != (v == -1) || (v >= 0 && int64(want)-v >= int64(os.Getpagesize())) {
			return fmt.Errorf("--memory-swap %d did not take effect: memory.swap.max of %s is %d", l.MemorySwap, s.unit, v)
		}
	}
	if l.CPUs > 0 {
		quota, period, err := readCPUMax(filepath.Join(s.path, "cpu.max"))
		if err != nil {
			return s.missing("cpu", "--cpus", err)
		}
		want := int64(math.Round(l.CPUs * float64(period)))
		if quota < 0 || quota < want-int64(period)/100 || quota > want+int64(period)/100 {
			return fmt.Errorf("--cpus %v did not take effect: cpu.max of %s is %d %d", l.CPUs, s.unit, quota, period)
		}
	}
	if l.PidsMax > 0 {
		v, err := readLimit(filepath.Join(s.path, "pids.max"))
		if err != nil {
			return s.missing("pids", "--pids-limit", err)
		}
		if v != l.PidsMax {
			return fmt.Errorf("--pids-limit %d did not take effect: pids.max of %s is %d", l.PidsMax, s.unit, v)
		}
	}
	return nil
}

// missing explains a limit whose controller file is absent in the scope: the
// manager was not given that controller.
func (s *Scope) missing(controller, flag string, err error) error {
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading back %s of scope %s: %w", flag, s.unit, err)
	}
	if s.mgr.user {
		return fmt.Errorf("%s needs the %s controller, which systemd does not delegate to your user manager: as root, put \"[Service]\" and \"Delegate=cpu cpuset io memory pids\" in /etc/systemd/system/user@.service.d/delegate.conf, run systemctl daemon-reload, then log out and in (or restart user@%d.service)",
			flag, controller, os.Getuid())
	}
	return fmt.Errorf("%s needs the %s controller, which the systemd system manager does not enable: check that the kernel has it (cat /sys/fs/cgroup/cgroup.controllers)", flag, controller)
}

// OOMKilled reports whether the kernel's OOM killer killed a process of the
// container. Call it after the container has exited and before Close.
//
// While the scope's cgroup exists, memory.events (oom_kill) answers. systemd
// removes the cgroup as soon as the last process has exited, which can be
// before urun has even reaped the container; but it reads memory.events
// itself before it does so, and with OOMPolicy=stop it then ends the scope
// with Result=oom-kill and keeps it loaded as failed (until Close resets it).
func (s *Scope) OOMKilled() (bool, error) {
	if s == nil {
		return false, nil
	}
	n, err := readKey(filepath.Join(s.path, "memory.events"), "oom_kill")
	if err == nil {
		return n > 0, nil
	}
	if !gone(err) {
		return false, fmt.Errorf("reading OOM events of %s: %w", s.unit, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	prop, err := s.mgr.conn.GetUnitTypePropertyContext(ctx, s.unit, "Scope", "Result")
	if err != nil {
		if dbusErrorName(err) == "org.freedesktop.systemd1.NoSuchUnit" {
			return false, nil
		}
		return false, fmt.Errorf("asking systemd how scope %s ended: %w", s.unit, err)
	}
	res, _ := prop.Value.Value().(string)
	return res == "oom-kill", nil
}

// Close stops the scope (killing what is left in it), waits until systemd has
// removed it, and drops the connection. It is safe to call more than once and
// on a nil Scope. A scope that systemd already stopped because it became
// empty is not an error.
func (s *Scope) Close() error {
	if s == nil {
		return nil
	}
	s.once.Do(func() {
		// The caller's context may already be cancelled (a signal); stopping
		// must happen anyway.
		ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
		defer cancel()
		defer s.mgr.conn.Close()
		// Usually the container has exited and systemd has already stopped
		// the empty scope and removed its cgroup: then only a failed unit
		// (an OOM kill) needs resetting.
		if _, err := os.Stat(s.path); err != nil && gone(err) {
			_ = s.mgr.conn.ResetFailedUnitContext(ctx, s.unit)
			return
		}
		ch := make(chan string, 1)
		_, err := s.mgr.conn.StopUnitContext(ctx, s.unit, "replace", ch)
		switch {
		case err != nil && dbusErrorName(err) == "org.freedesktop.systemd1.NoSuchUnit":
		case err != nil:
			s.err = fmt.Errorf("stopping cgroup scope %s: %w", s.unit, err)
			return
		default:
			select {
			case <-ch:
			case <-ctx.Done():
				s.err = fmt.Errorf("stopping cgroup scope %s: no answer from %s: %w", s.unit, s.mgr.where, ctx.Err())
				return
			}
		}
		// A scope that failed (for example systemd's own OOM handling)
		// stays loaded until reset; nothing of this run may be left.
		_ = s.mgr.conn.ResetFailedUnitContext(ctx, s.unit)
		for s.path != "" {
			if _, err := os.Stat(s.path); err != nil {
				break
			}
			select {
			case <-ctx.Done():
				s.err = fmt.Errorf("cgroup %s still exists after stopping %s", s.path, s.unit)
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	return s.err
}

// Join moves pid into the running scope unit (urun-ID.scope) through the
// systemd manager that made it (the user's, or the system's for root). A
// process of a login session cannot move itself there: cgroup v2 lets only a
// writer of the common ancestor move it, and systemd asks its system manager.
func Join(ctx context.Context, unit string, pid int) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.conn.Close()
	if err := m.conn.AttachProcessesToUnit(ctx, unit, "", []uint32{uint32(pid)}); err != nil {
		return fmt.Errorf("asking %s to move pid %d into %s: %w", m.where, pid, unit, err)
	}
	return nil
}
