package userns

import (
	"runtime"
	"slices"
	"sync"

	"github.com/urun-dev/urun/internal/trace"
)

// An early start clones a foreground run's init stage and writes its id
// maps while urun itself is still parsing the flags, building the spec and
// writing the store record: none of that decides anything the clone needs in
// the common case, and the two take about the same time (2-4 ms each here,
// the clone, the stage's Go start and newuidmap/newgidmap on one side, the
// CLI and the store on the other), so on two CPUs they overlap instead of
// adding up. The stage then waits for its config as always.
//
// It is a guess that the run wants the default: Start adopts the early
// stage only when the options and the maps it was started with are those of
// the run, and otherwise kills it and starts the stage the run asked for.
// The stage has done nothing but wait, so the guess costs a wrong run one
// clone of CPU on the other core and changes nothing else.
var early struct {
	mu    sync.Mutex
	ready chan struct{}
	o     StartOptions
	p     *Process
	taken bool
}

// StartEarly begins the init stage of a run with options o, and writes
// o.Maps (nil: none to write), on a thread of its own, which lives as long as the stage
// (its parent-death signal follows that thread). Start takes it; EndEarly
// kills it when no Start did.
func StartEarly(o StartOptions) {
	early.mu.Lock()
	defer early.mu.Unlock()
	if early.ready != nil {
		return
	}
	early.ready = make(chan struct{})
	early.o = o
	go func() {
		// Never unlocked: the thread ends with this goroutine, once the
		// stage is reaped (endThread).
		runtime.LockOSThread()
		p, err := start(o)
		if err == nil {
			trace.Mark("early start: init stage cloned")
			if o.Maps != nil {
				if err = o.Maps.Apply(p.PID); err != nil {
					p.Abort()
				} else {
					trace.Mark("early start: id maps written")
				}
			}
		}
		if err != nil {
			// The run's own Start tries again and reports what fails.
			close(early.ready)
			return
		}
		done := make(chan struct{})
		p.threadDone, p.Mapped = done, o.Maps != nil
		early.p = p
		close(early.ready)
		<-done
	}()
}

// takeEarly returns the early stage when it was started with o (its maps too),
// kills it otherwise, and returns nil when there is none to take.
func takeEarly(o StartOptions) *Process {
	early.mu.Lock()
	defer early.mu.Unlock()
	if early.ready == nil || early.taken {
		return nil
	}
	early.taken = true
	<-early.ready
	p := early.p
	if p == nil {
		return nil
	}
	if !sameStart(early.o, o) {
		trace.Mark("early start: not this run's, aborted")
		p.Abort()
		return nil
	}
	return p
}

// EndEarly kills an early stage that no Start took (urun failed before the
// clone, or ran another verb): nothing of it is left when urun exits.
func EndEarly() {
	early.mu.Lock()
	defer early.mu.Unlock()
	if early.ready == nil || early.taken {
		return
	}
	early.taken = true
	<-early.ready
	if early.p != nil {
		early.p.Abort()
	}
}

// sameStart reports whether a and b start the same stage with the same maps.
func sameStart(a, b StartOptions) bool {
	return a.Stdin == b.Stdin && a.Stdout == b.Stdout && a.Stderr == b.Stderr &&
		a.NetNS == b.NetNS && a.ConsoleSocket == nil && b.ConsoleSocket == nil &&
		(a.Namespaces == nil) == (b.Namespaces == nil) && slices.Equal(a.Namespaces, b.Namespaces) &&
		a.Maps.Same(b.Maps)
}
