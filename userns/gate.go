package userns

import (
	"os"
	"os/signal"
	"syscall"
)

// gateSignals are the signals an engine sends a created container (kill
// before start, podman stop, delete --force sends SIGKILL, which needs
// nothing). The stage is PID 1 of its PID namespace: without a handler the
// kernel drops them, and Go's own handler ends the stage with status 2. At
// the gate the stage ends with 128+N instead, as the command would.
var gateSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

var gateCh chan os.Signal

// holdSignals turns the gate signals into an exit until releaseSignals.
func holdSignals() {
	gateCh = make(chan os.Signal, 1)
	signal.Notify(gateCh, gateSignals...)
	go func() {
		if s, ok := <-gateCh; ok {
			os.Exit(128 + int(s.(syscall.Signal)))
		}
	}()
}

// releaseSignals gives the signals back before the exec (which resets the
// handlers anyway) so that none arriving now ends the stage.
func releaseSignals() {
	signal.Stop(gateCh)
	close(gateCh)
}
