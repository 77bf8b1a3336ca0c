package userns

import (
	"os"
	"reflect"
	"sync"

	"github.com/urun-dev/urun/internal/wire"
)

// The sealed copy the init stage runs from (sealedStage: the embedded stage
// binary, under 1 ms; without one, the whole of urun, about 5 ms of a 20 MB
// binary; none for a binary of root's) is nearly all kernel work, and nothing before the clone depends
// on it: PrepareStart makes it on another thread while the flags, the spec
// and the store record are worked out, and Start takes it.
var presealed struct {
	once sync.Once
	mu   sync.Mutex
	done chan struct{}
	f    *os.File
	err  error
	// taken: Start has the copy (or is making its own).
	taken bool
}

// PrepareStart begins the work Start will need (the sealed copy of the
// stage, its config's fingerprint) in the background. Calling it is
// optional; a copy never taken stays open until urun exits.
func PrepareStart() {
	presealed.once.Do(func() {
		presealed.done = make(chan struct{})
		go func() {
			defer close(presealed.done)
			presealed.f, presealed.err = sealedStage()
		}()
		// The config's fingerprint (see warmConfigCodec), on the other CPU
		// while this one parses the flags.
		go wire.Fingerprint(reflect.TypeFor[Config]())
	})
}

// takeSealed returns the prepared copy once (waiting for it), or makes one.
func takeSealed() (*os.File, error) {
	presealed.mu.Lock()
	prepared := presealed.done != nil && !presealed.taken
	presealed.taken = true
	presealed.mu.Unlock()
	if !prepared {
		return sealedStage()
	}
	<-presealed.done
	return presealed.f, presealed.err
}
