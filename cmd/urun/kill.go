package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
	"golang.org/x/sys/unix"
)

// KillCmd is `urun kill`, in two spellings (killoci.go): docker's `urun kill
// [-s SIG] CONTAINER...` (default SIGKILL, prints each container) and runc's
// `urun kill [--all] ID [SIGNAL]` (default SIGTERM, prints nothing), which
// is the one used when the first argument is the exact id of an OCI
// container (made by urun create or run --bundle) and at most a signal
// follows, or with --all.
type KillCmd struct {
	Signal     string   `short:"s" help:"Signal to send: a name (TERM, SIGTERM) or a number (default KILL; for an OCI container TERM)." placeholder:"SIG"`
	All        bool     `short:"a" help:"OCI: send the signal to every process of the container, not only its PID 1."`
	Containers []string `arg:"" name:"container" help:"Id, id prefix or name; or, runc's form, an OCI container's id and a signal."`
}

// parseSignal reads a signal as docker does: KILL, SIGKILL, kill or 9.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q: numbers go from 1 to 64", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal %q: give a name such as TERM, KILL, HUP, or a number", s)
}

// Run sends the signal to each container's PID 1 through its monitor, which
// does what a foreground urun does with a signal it gets.
func (k *KillCmd) Run() error {
	if id, sig, ok := k.ociForm(); ok {
		return ociKill(id, sig, k.All)
	}
	if k.All {
		return usageError(fmt.Errorf("--all is for OCI containers (urun create): %s is not one", k.Containers[0]))
	}
	if k.Signal == "" {
		k.Signal = "KILL"
	}
	sig, err := parseSignal(k.Signal)
	if err != nil {
		return usageError(err)
	}
	for _, ref := range k.Containers {
		st, r, err := lookup(ref)
		if err != nil {
			return usageError(err)
		}
		if !r.Detached && r.Status != store.Exited {
			if err := signalForeground(r, sig); err != nil {
				return usageError(err)
			}
			fmt.Println(ref)
			continue
		}
		if r.HandedOff {
			if err := signalPid1(r, sig); err != nil {
				return usageError(err)
			}
			fmt.Println(ref)
			continue
		}
		c, err := dial(st, r, "kill")
		if err != nil {
			return usageError(err)
		}
		err = c.Send(monitor.Message{Type: monitor.TSignal, Value: int(sig)})
		if err == nil {
			var m monitor.Message
			m, err = c.Recv()
			if err == nil && m.Type == monitor.TError {
				err = fmt.Errorf("%s", m.Data)
			}
		}
		c.Close()
		if err != nil {
			return usageError(fmt.Errorf("signalling container %s: %w", r.Name, err))
		}
		fmt.Println(ref)
	}
	return nil
}
