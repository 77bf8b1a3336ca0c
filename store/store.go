package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/internal/procstat"
	"github.com/urun-dev/urun/internal/wire"
	"golang.org/x/sys/unix"
)

// Statuses of a record.
const (
	Created = "created"
	Running = "running"
	Exited  = "exited"
)

// Files of a container's directory.
const (
	StateFile = "state.json"
	LockFile  = "lock"
	SpecFile  = "spec"
	CtlSock   = "ctl.sock"
	LogFile   = "log"
	ExitFile  = "exit"
)

// Record is what the store knows of one container. The JSON names are a
// contract with every reader (urun ps, inspect, exec, engines).
type Record struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// Pid is the host pid of the container's PID 1, PidStart its start
	// time (field 22 of /proc/PID/stat) so that a reused pid is told apart.
	Pid      int    `json:"pid"`
	PidStart uint64 `json:"pidStart"`
	// MonitorPid is the process that supervises the container: `urun
	// monitor` for a detached one, the `urun run` itself in the foreground.
	MonitorPid   int        `json:"monitorPid"`
	MonitorStart uint64     `json:"monitorStart"`
	Rootfs       string     `json:"rootfs"`
	Command      []string   `json:"command"`
	Created      time.Time  `json:"created"`
	Started      *time.Time `json:"started,omitempty"`
	Finished     *time.Time `json:"finished,omitempty"`
	ExitCode     *int       `json:"exitCode,omitempty"`
	Ports        []string   `json:"ports"`
	Limits       *Resources `json:"limits,omitempty"`
	CgroupPath   string     `json:"cgroupPath"`
	Detached     bool       `json:"detached"`
	TTY          bool       `json:"tty"`
	Hostname     string     `json:"hostname,omitempty"`
	AutoRemove   bool       `json:"autoRemove,omitempty"`
	// Bundle is set for an OCI container (urun create, run --bundle): its
	// bundle directory, absolute; Annotations are its config's. OCI
	// containers are named by their id only (the engine's), and their
	// record stays when they stop, until delete.
	Bundle      string            `json:"bundle,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// HandedOff: the container's monitor let its PID 1 go once it ran
	// (an OCI container after start: the engine's subreaper reaps it), so
	// the container lives as long as PID 1 does, not as its monitor.
	HandedOff bool `json:"handedOff,omitempty"`
	// Error says why a container ended that urun did not end cleanly
	// (its monitor was killed, its processes vanished).
	Error string `json:"error,omitempty"`
}

// Alive reports whether the container's PID 1 still runs: the pid exists
// and has the recorded start time.
func (r *Record) Alive() bool { return alive(r.Pid, r.PidStart) }

// MonitorAlive reports whether the container's monitor still runs.
func (r *Record) MonitorAlive() bool { return alive(r.MonitorPid, r.MonitorStart) }

func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	got, state, err := stat(pid)
	// A zombie has ended: only its parent has not collected it yet (a
	// killed monitor's parent is init, which may take its time).
	return err == nil && got == start && state != "Z" && state != "X"
}

// StartTime returns field 22 of /proc/PID/stat: the process's start time in
// clock ticks since boot, which with the pid names one process for good.
func StartTime(pid int) (uint64, error) {
	st, _, err := stat(pid)
	return st, err
}

// stat returns the start time and the state (field 3) of pid.
func stat(pid int) (uint64, string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", err
	}
	f, err := procstat.Fields(b)
	if err != nil {
		return 0, "", fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	// f[0] is field 3 (state); field 22 is f[19].
	if len(f) < 20 {
		return 0, "", fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	st, err := strconv.ParseUint(f[19], 10, 64)
	return st, f[0], err
}

// Store is one user's store.
type Store struct {
	Base string
}

// Open opens the store at Base(override).
func Open(override string) (*Store, error) {
	b, err := Base(override)
	if err != nil {
		return nil, err
	}
	return &Store{Base: b}, nil
}

// Dir is the directory of container id.
func (s *Store) Dir(id string) string { return filepath.Join(s.Base, id) }

// Path is file name in the directory of container id.
func (s *Store) Path(id, name string) string { return filepath.Join(s.Base, id, name) }

// WriteSpec stores the spec container id runs (SpecFile), for exec,
// inspect and the OCI verbs. It is in package wire's encoding, not JSON: a
// run writes it before its container starts, and encoding/json's codec for
// a spec costs a fresh process 1.5 ms of CPU (package wire says why).
func (s *Store) WriteSpec(id string, sp *specs.Spec) error {
	b, err := wire.Marshal(sp)
	if err != nil {
		return fmt.Errorf("encoding the config of container %s: %w", id, err)
	}
	if err := os.WriteFile(s.Path(id, SpecFile), b, 0o600); err != nil {
		return fmt.Errorf("writing the config of container %s: %w", id, err)
	}
	return nil
}

// ReadSpec reads what WriteSpec stored. A container started by another
// build of urun (an upgrade while it runs) has its spec in that build's form,
// or as the config.json of builds before the spec file: that is said as
// such, in one line.
func (s *Store) ReadSpec(id string) (*specs.Spec, error) {
	other := func() error {
		return fmt.Errorf("container %s was started by another build of urun, whose record of its config this one cannot read: use that urun, or start the container again with this one", id)
	}
	b, err := os.ReadFile(s.Path(id, SpecFile))
	if errors.Is(err, os.ErrNotExist) {
		if _, cerr := os.Stat(s.Path(id, oldConfigFile)); cerr == nil {
			return nil, other()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("reading the config of container %s: %w", id, err)
	}
	var sp specs.Spec
	if err := wire.Unmarshal(b, &sp); errors.Is(err, wire.ErrOtherShape) {
		return nil, other()
	} else if err != nil {
		return nil, fmt.Errorf("reading the config of container %s: %w", id, err)
	}
	return &sp, nil
}

// oldConfigFile is where builds before SpecFile kept a container's spec, as
// JSON.
const oldConfigFile = "config.json"

// ErrNameInUse is what Create's error Is when the name is taken.
var ErrNameInUse = errors.New("name in use")

// NameInUseError names the container that holds a name.
type NameInUseError struct{ Name, ID string }

func (e *NameInUseError) Error() string {
	return fmt.Sprintf("the container name %q is already in use by container %s; choose another --name, or remove it with 'urun rm -f %s'", e.Name, e.ID, e.Name)
}

// Is makes errors.Is(err, ErrNameInUse) true.
func (e *NameInUseError) Is(target error) bool { return target == ErrNameInUse }

// Create reserves r.Name (a random one when it is "") and makes the
// container's directory with r as its state. r.ID must be fresh.
func (s *Store) Create(r *Record) error {
	if r.Name != "" {
		if err := CheckName(r.Name); err != nil {
			return err
		}
	}
	unlock, err := lockPath(s.Base)
	if err != nil {
		return err
	}
	defer unlock()
	taken, err := s.names()
	if err != nil {
		return err
	}
	if r.Name == "" {
		for i := 0; ; i++ {
			r.Name = randomName()
			if i > 20 {
				r.Name += "_" + r.ID[:4]
			}
			if _, ok := taken[r.Name]; !ok {
				break
			}
		}
	} else if id, ok := taken[r.Name]; ok {
		// Only the holder is checked for life (the cost of a run must
		// not grow with the store): a dead foreground run's name is free.
		if o, err := readRecord(s.Dir(id)); err != nil || !s.settle(o) {
			return &NameInUseError{Name: r.Name, ID: id}
		}
	}
	dir := s.Dir(r.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("creating the container's directory: %w", err)
	}
	if r.Created.IsZero() {
		r.Created = time.Now()
	}
	if err := writeRecord(dir, r); err != nil {
		os.RemoveAll(dir)
		return err
	}
	return nil
}

// Update changes the record of id under its lock: fn gets the stored record
// and edits it; the result replaces the stored one atomically.
func (s *Store) Update(id string, fn func(*Record) error) (*Record, error) {
	dir := s.Dir(id)
	unlock, err := lockFile(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := readRecord(dir)
	if err != nil {
		return nil, err
	}
	if err := fn(r); err != nil {
		return r, err
	}
	return r, writeRecord(dir, r)
}

// Remove deletes the container's directory and with it its name.
func (s *Store) Remove(id string) error {
	dir := s.Dir(id)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the container's directory: %w", err)
	}
	return nil
}

// Get reads the record of id as it is seen now (see List).
func (s *Store) Get(id string) (*Record, error) {
	r, err := readRecord(s.Dir(id))
	if err != nil {
		return nil, err
	}
	if s.settle(r) {
		return nil, fmt.Errorf("no such container: %s", id)
	}
	return r, nil
}

// List returns every container, oldest first. A record whose monitor is gone
// reads as exited; one of a foreground run that is gone is removed.
func (s *Store) List() ([]*Record, error) { return s.list() }

func (s *Store) list() ([]*Record, error) {
	ents, err := os.ReadDir(s.Base)
	if err != nil {
		return nil, fmt.Errorf("reading the store: %w", err)
	}
	var out []*Record
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(s.Base, e.Name())
		r, err := readRecord(dir)
		if err != nil {
			// A directory being made (mkdir before the first write)
			// or torn: collect it once it is old enough not to be
			// the former.
			if st, serr := os.Stat(dir); serr == nil && time.Since(st.ModTime()) > time.Minute {
				os.RemoveAll(dir)
			}
			continue
		}
		if s.settle(r) {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// names maps every container's name to its id, reading only that much of
// each record.
func (s *Store) names() (map[string]string, error) {
	ents, err := os.ReadDir(s.Base)
	if err != nil {
		return nil, fmt.Errorf("reading the store: %w", err)
	}
	taken := make(map[string]string, len(ents))
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.Base, e.Name(), StateFile))
		if err != nil {
			continue
		}
		var n struct{ ID, Name string }
		if json.Unmarshal(b, &n) == nil && n.Name != "" {
			taken[n.Name] = n.ID
		}
	}
	return taken, nil
}

// settle makes r say what is true now: a container whose monitor is gone has
// exited (with the status its exit file holds, if any). It returns true when
// r was a foreground run's leftover and has been removed.
func (s *Store) settle(r *Record) bool {
	if r.Status == Exited || r.MonitorAlive() {
		return false
	}
	if r.HandedOff {
		if !r.Alive() {
			// Its status went to whoever reaped it.
			r.Status = Exited
		}
		return false
	}
	if !r.Detached {
		os.RemoveAll(s.Dir(r.ID))
		return true
	}
	if code, err := ReadExit(s.Path(r.ID, ExitFile)); err == nil {
		r.ExitCode = &code
	} else if r.Error == "" {
		r.Error = "the container's monitor is gone"
	}
	r.Status = Exited
	return false
}

// Lookup finds a container by full id, name or unique id prefix.
func (s *Store) Lookup(ref string) (*Record, error) {
	if ref == "" {
		return nil, errors.New("no container given: name one by its id or name (see 'urun ps -a')")
	}
	recs, err := s.List()
	if err != nil {
		return nil, err
	}
	var byPrefix []*Record
	for _, r := range recs {
		if r.ID == ref || r.Name == ref {
			return r, nil
		}
		if strings.HasPrefix(r.ID, ref) {
			byPrefix = append(byPrefix, r)
		}
	}
	switch len(byPrefix) {
	case 0:
		return nil, fmt.Errorf("no such container: %s (see 'urun ps -a')", ref)
	case 1:
		return byPrefix[0], nil
	}
	var c []string
	for _, r := range byPrefix {
		c = append(c, r.ID+" ("+r.Name+")")
	}
	return nil, fmt.Errorf("%q matches %d containers: %s; give more of the id, or the name", ref, len(c), strings.Join(c, ", "))
}

// WriteExit records status in the exit file of container id, as conmon's.
func (s *Store) WriteExit(id string, status int) error {
	return writeAtomic(s.Path(id, ExitFile), []byte(strconv.Itoa(status)))
}

// ReadExit reads an exit file.
func ReadExit(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func readRecord(dir string) (*Record, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no such container: %s", filepath.Base(dir))
		}
		return nil, fmt.Errorf("reading the container's state: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, StateFile), err)
	}
	return &r, nil
}

// Resources are a record's limits, the spec's. They encode themselves so that
// encoding/json works out its codec for the OCI resource types (a dozen
// structs, 1-2 ms of CPU here) for a record with limits only, not for every
// run's first record.
type Resources specs.LinuxResources

// MarshalJSON encodes r as the spec's type.
func (r *Resources) MarshalJSON() ([]byte, error) {
	return json.Marshal((*specs.LinuxResources)(r))
}

// UnmarshalJSON decodes r as the spec's type.
func (r *Resources) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, (*specs.LinuxResources)(r))
}

func writeRecord(dir string, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding the container's state: %w", err)
	}
	return writeAtomic(filepath.Join(dir, StateFile), b)
}

// writeAtomic writes by rename, so a reader sees the old file or the new,
// never half of one. No fsync: the store lives on a tmpfs (a run dir) and
// does not outlive a reboot anyway.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// lockPath takes an exclusive flock on a directory (the base: name
// reservation), so no lock file sits in the base beside the containers.
func lockPath(dir string) (func(), error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("locking the store %s: %w", dir, err)
	}
	return flock(fd, dir)
}

func lockFile(path string) (func(), error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("no such container: %s", filepath.Base(filepath.Dir(path)))
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return flock(fd, path)
}

func flock(fd int, name string) (func(), error) {
	for {
		err := unix.Flock(fd, unix.LOCK_EX)
		if err == nil {
			return func() { unix.Close(fd) }, nil
		}
		if !errors.Is(err, unix.EINTR) {
			unix.Close(fd)
			return nil, fmt.Errorf("locking %s: %w", name, err)
		}
	}
}
