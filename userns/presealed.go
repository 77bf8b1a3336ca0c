package userns

import (
	"os"
	"sync"
)

// The sealed copy of urun (sealedExe) costs about 5 ms of a 12 MB binary,
// nearly all of it in the kernel, and nothing before the clone depends on
// it: PrepareStart makes it on another thread while the flags, the spec and
// the store record are worked out, and Start takes it.
var presealed struct {
	once sync.Once
	mu   sync.Mutex
	done chan struct{}
	f    *os.File
	err  error
	// taken: Start has the copy (or is making its own).
	taken bool
}

// PrepareStart begins the work Start will need (the sealed copy of urun)
// in the background. Calling it is optional; a copy never taken stays open
// until urun exits.
func PrepareStart() {
	presealed.once.Do(func() {
		presealed.done = make(chan struct{})
		go func() {
			defer close(presealed.done)
			presealed.f, presealed.err = sealedExe()
		}()
	})
}

// takeSealed returns the prepared copy once (waiting for it), or makes one.
func takeSealed() (*os.File, error) {
	presealed.mu.Lock()
	prepared := presealed.done != nil && !presealed.taken
	presealed.taken = true
	presealed.mu.Unlock()
	if !prepared {
		return sealedExe()
	}
	<-presealed.done
	return presealed.f, presealed.err
}
