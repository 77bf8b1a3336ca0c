package userns

import (
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/mount"
	"github.com/urun-dev/urun/seccomp"
)

// initArg is the hidden argument that makes the urun binary run the init stage.
const initArg = "__urun_init"

// stageEnv is the environment of the init stage and exec's stage (the
// command gets the spec's own): one P, since each stage does its work on one
// thread. The default, a P per CPU, let Go's scheduler hand the stage's
// blocking reads to new threads: 6 threads where 3 do, each made, woken and
// then killed by the exec. Measured here over 3x30 runs: 32 fewer page
// faults and 0.9 ms less CPU a run, 0.85 ms off the median start-up.
var stageEnv = []string{"GOMAXPROCS=1"}

// File descriptors of the init stage, in ExtraFiles order.
const (
	fdConfig = 3 // read end: the config (length first), then the go byte
	fdError  = 4 // write end: the created byte, an InitError on failure, EOF on exec
)

// Config is what the parent sends to the init stage once the namespaces are
// ready (maps written, cgroup and network attached), encoded by package
// wire (which says why not JSON).
type Config struct {
	Spec *specs.Spec
	// CgroupRequired: limits were asked for, so /sys/fs/cgroup must mount.
	CgroupRequired bool
	// GID5Mapped: the tty group exists in the container.
	GID5Mapped bool
	// Mount bits: HaveScope says the stage is in a cgroup scope of its
	// own (without one /sys/fs/cgroup is an empty tmpfs); Overlay is the
	// copy-on-write root, nil for a plain bind of the rootfs.
	HaveScope bool
	Overlay   *mount.Overlay
	// ConsoleFd is the stage's fd of the console socket (set by Release
	// from StartOptions.ConsoleSocket); 0: no terminal.
	ConsoleFd int
	// EarlyTerminal makes the terminal (ConsoleFd) at set-up, before the
	// stage reports created, instead of last before the exec: an OCI
	// engine gets the terminal's master from create, before start.
	EarlyTerminal bool
	// Gated: the stage may wait at the start gate for long (an OCI
	// container between create and start); a signal it gets there ends it
	// as it would end the command (128+N), see gate.go.
	Gated bool
	// HandOff: the parent lets the command go once it runs (an OCI
	// container's monitor after start), so the stage clears its
	// parent-death signal before the exec; the command is then reparented
	// to the nearest subreaper (the engine's conmon or shim), which reaps
	// it as it reaps runc's.
	HandOff bool
	// Seccomp is the compiled filter the stage loads last before the exec
	// (nil: none). The parent compiles it so the stage only loads.
	Seccomp *seccomp.Program
}

// Sync bytes: the stage's "set up, waiting to exec" on the error pipe (a
// report would start with '{'), and the parent's go on the config pipe.
//
// The order on the two pipes (Process.Setup, then Process.Go):
//
//	parent -> stage  config pipe: length, config (package wire)
//	stage            unshare cgroup ns, keyring, sysctls, mounts, pivot_root,
//	                 hostname, lo, cwd (and the terminal with EarlyTerminal)
//	stage -> parent  error pipe: createdByte        (or an InitError, then EOF)
//	                 --- the start gate: the stage blocks reading the config
//	                 pipe; an OCI container stays here from create to start ---
//	parent -> stage  config pipe: goByte            (or EOF: the stage exits)
//	stage -> parent  error pipe: EOF at the exec    (or an InitError)
const (
	createdByte = 0
	goByte      = 1
)

// maxConfig bounds the config the stage accepts.
const maxConfig = 64 << 20

// Exit statuses, docker's conventions.
const (
	StatusError         = 125 // urun itself failed
	StatusNotExecutable = 126
	StatusNotFound      = 127
)

// InitError is a failure of the init stage as reported to the parent.
type InitError struct {
	Status int    `json:"status"`
	Msg    string `json:"msg"`
}

func (e *InitError) Error() string { return e.Msg }

func decodeError(b []byte) error {
	var e InitError
	if err := json.Unmarshal(b, &e); err != nil || e.Msg == "" {
		return &InitError{Status: StatusError, Msg: fmt.Sprintf("the init stage sent a malformed error report (%d bytes)", len(b))}
	}
	if e.Status == 0 {
		e.Status = StatusError
	}
	return &e
}
