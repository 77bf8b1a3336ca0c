package monitor

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/store"
	"golang.org/x/sys/unix"
)

// ociState is an OCI container's place in its life: created (at the start
// gate), then started (the gate is open), then running.
type ociState struct {
	pid     int
	created bool
	started bool
	// startCh opens the gate; running is closed once the command runs.
	startCh chan struct{}
	running chan struct{}
	// answered is closed once start has its answer (the monitor must not
	// exit before it is sent).
	answered chan struct{}
	// ran: the command runs and the run has let it go (HandOff).
	ran   bool
	stdio []*os.File
}

// ociSetup gives the container the caller's stdio (fds 7, 8, 9) as they
// are, and the start gate.
func (m *mon) ociSetup(c *container.Config) error {
	o := m.l.Options.OCI
	m.oci.startCh, m.oci.running, m.oci.answered = make(chan struct{}), make(chan struct{}), make(chan struct{})
	c.Stdin, c.Stdout, c.Stderr = os.NewFile(fdStdin, "stdin"), os.NewFile(fdStdout, "stdout"), os.NewFile(fdStderr, "stderr")
	m.oci.stdio = []*os.File{c.Stdin, c.Stdout, c.Stderr}
	c.OCI = &container.OCI{
		Bundle: o.Bundle, ConsoleSocket: o.ConsoleSocket, PidFile: o.PidFile,
		Created: m.ociCreated, Start: m.oci.startCh, HandOff: true,
	}
	return nil
}

// ociCreated: the container waits at the gate. From now on the container's
// life is recorded (it is "started" for the monitor's cleanup), and create
// returns.
func (m *mon) ociCreated(pid int) {
	// The init stage holds its own copies of the caller's stdio; the
	// engine waits for their end with the container's.
	for _, f := range m.oci.stdio {
		f.Close()
	}
	m.mu.Lock()
	m.oci.pid, m.oci.created = pid, true
	m.mu.Unlock()
	m.started = true
	m.msgs.switchTo(logWriter{m.log})
	fmt.Fprintln(m.report, "created")
	m.report.Close()
	m.report = nil
}

// ociRunning: the command runs; the run hands it off once the poststart
// hooks have run (ociHandOff).
func (m *mon) ociRunning() {
	m.mu.Lock()
	m.oci.ran = true
	m.mu.Unlock()
}

// ociHandOff ends the monitor of a started OCI container: the record says
// the command lives on its own (its parent will be the engine's subreaper,
// or init), start gets its answer, signals that came in meanwhile go to
// PID 1, and the socket goes. From now on urun reaches the container by its
// pid (a pidfd checked against the recorded start time).
func (m *mon) ociHandOff() int {
	_, err := m.st.Update(m.l.ID, func(r *store.Record) error {
		r.HandedOff = true
		return nil
	})
	if err != nil {
		fmt.Fprintf(m.msgs, "urun: %v\n", err)
	}
	close(m.oci.running)
	<-m.oci.answered
	for {
		select {
		case s := <-m.sigs:
			_ = unix.Kill(m.oci.pid, s.(syscall.Signal))
			continue
		default:
		}
		break
	}
	m.shutdown()
	return 0
}

// signal passes a kill on: to the run's signal relay once the container is
// started, straight to PID 1 while it waits at the gate (the run does not
// read its signals there). PID 1 is this monitor's child and not yet
// reaped, so its pid names it.
func (m *mon) signal(sig syscall.Signal) {
	m.mu.Lock()
	held := m.l.Options.OCI != nil && !m.oci.started
	pid := m.oci.pid
	m.mu.Unlock()
	if held {
		if pid > 0 {
			_ = unix.Kill(pid, sig)
		}
		return
	}
	m.sigs <- sig
}

// start opens the gate (TStart) and answers once the command runs or could
// not start.
func (m *mon) start(c *Conn) {
	defer c.Close()
	answered := false
	defer func() {
		if answered {
			close(m.oci.answered)
		}
	}()
	m.mu.Lock()
	err := ""
	switch {
	case m.l.Options.OCI == nil:
		err = "the container is not an OCI container (made by urun create); it runs already"
	case !m.oci.created:
		err = "the container is still being created; try again"
	case m.oci.started:
		err = "the container was started already; a container starts once"
	}
	if err == "" {
		select {
		case <-m.exited:
			err = "the container has stopped; it cannot start again (delete it)"
		default:
			m.oci.started = true
			close(m.oci.startCh)
		}
	}
	m.mu.Unlock()
	if err != "" {
		_ = c.Send(Message{Type: TError, Data: []byte(err)})
		return
	}
	answered = true
	select {
	case <-m.oci.running:
		_ = c.Send(Message{Type: TOK})
	case <-m.exited:
		m.msgs.mu.Lock()
		last := strings.TrimPrefix(m.msgs.last, "urun: ")
		m.msgs.mu.Unlock()
		if last == "" {
			last = fmt.Sprintf("the container ended before its command ran (status %d)", m.status)
		}
		_ = c.Send(Message{Type: TError, Data: []byte(last)})
	}
}
