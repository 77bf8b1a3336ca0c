package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/store"
	"golang.org/x/sys/unix"
)

// mon is one monitor: it supervises one container for its whole life.
type mon struct {
	l launch
	// hold is the launch's Options.Hold, open for the monitor's life.
	hold *os.File
	st   *store.Store
	log  *LogWriter
	ln   *net.UnixListener

	// sigs are passed to the container by container.Run: kill and stop
	// requests, and the monitor's own SIGTERM.
	sigs chan os.Signal
	// exited is closed once the container's status is known.
	exited chan struct{}
	status int

	// The container's stdio as the monitor holds it: output pipes read by
	// copy (for a terminal, the relay writes the terminal's output into
	// outW), stdin written from attach.
	outR, outW, errR, errW *os.File
	stdinR, stdinW         *os.File
	// master is the terminal's master, kept for resizes (nil without -t).
	master  *os.File
	copiers sync.WaitGroup

	mu      sync.Mutex
	clients map[*client]struct{}
	waiters []*Conn
	// messages gets urun's own lines: the caller's stderr until the
	// command runs, then the log.
	msgs    *messages
	report  *os.File
	started bool

	// An OCI container's start gate (oci.go).
	oci ociState
}

// client is an attached connection: it gets the output.
type client struct {
	c   *Conn
	out chan Message
}

// Main is `urun monitor`: it reads the launch config from fd 3, starts the
// container through container.Run with itself as the supervisor, and returns
// once the container has ended and its record says so.
func Main() int {
	for _, fd := range []int{fdConfig, fdReport, fdErr, fdHold, fdStdin, fdStdout, fdStderr} {
		// Nothing the monitor starts (newuidmap, slirp4netns, the init
		// stage) may hold the caller's pipes: the caller would wait for
		// their end as long as the container runs.
		unix.CloseOnExec(fd)
	}
	cfgF, report, callerErr := os.NewFile(fdConfig, "config"), os.NewFile(fdReport, "report"), os.NewFile(fdErr, "stderr")
	b, err := io.ReadAll(cfgF)
	cfgF.Close()
	m := &mon{sigs: make(chan os.Signal, 16), exited: make(chan struct{}), clients: map[*client]struct{}{},
		report: report, msgs: &messages{w: callerErr, closer: callerErr}}
	if err == nil {
		err = json.Unmarshal(b, &m.l)
	}
	if err != nil {
		fmt.Fprintf(callerErr, "urun: reading the monitor's config: %v\n", err)
		m.reportStatus(125)
		return 125
	}
	if m.l.Hold {
		// Held open (and referenced, so no finalizer closes it) until the
		// monitor exits; never passed on to what it starts.
		unix.CloseOnExec(fdHold)
		m.hold = os.NewFile(fdHold, "hold")
	} else if m.l.Options.OCI != nil {
		// Launch filled the slot with a copy of the caller's stdin.
		unix.Close(fdHold)
	}
	// The container is the monitor's child, and so is whatever it leaves
	// when a process in it double-forks out of the PID namespace's reach.
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	// The monitor has no terminal and no caller: hangups and interrupts
	// are not for it. A SIGTERM (a shutdown) is passed to the container.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTTIN, syscall.SIGTTOU)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		for s := range term {
			m.sigs <- s
		}
	}()
	status := m.run()
	runtime.KeepAlive(m.hold)
	return status
}

func (m *mon) run() int {
	c := &container.Config{
		ID: m.l.ID, Name: m.l.Name, StoreRoot: m.l.StoreRoot, Spec: m.l.Spec, DefaultCmd: m.l.DefaultCmd,
		Quiet: m.l.Quiet, Verbose: m.l.Verbose, Network: m.l.Network,
		Detached: true, AutoRemove: m.l.AutoRemove,
		Supervisor: m, Signals: m.sigs, Messages: m.msgs,
	}
	pipes := m.pipes
	if m.l.Options.OCI != nil {
		pipes = m.ociSetup
	}
	if err := pipes(c); err != nil {
		fmt.Fprintf(m.msgs, "urun: %v\n", err)
		m.reportStatus(125)
		return 125
	}
	status := container.Run(c)
	if m.oci.ran {
		return m.ociHandOff()
	}
	m.closeWriters()
	m.copiers.Wait()
	if !m.started {
		// Nothing ran: no trace is left, then the caller gets the
		// status (so that nothing is left once it returns).
		m.shutdown()
		if m.st != nil {
			_ = m.st.Remove(m.l.ID)
		}
		m.reportStatus(status)
		return status
	}
	m.finish(status)
	return 0
}

// pipes makes the container's stdio: output pipes the monitor reads into the
// log, and stdin (a pipe with -i, /dev/null otherwise).
func (m *mon) pipes(c *container.Config) error {
	var err error
	if m.outR, m.outW, err = os.Pipe(); err != nil {
		return fmt.Errorf("making the container's stdout pipe: %w", err)
	}
	if m.errR, m.errW, err = os.Pipe(); err != nil {
		return fmt.Errorf("making the container's stderr pipe: %w", err)
	}
	if m.l.Options.Interactive || m.l.Spec.Process.Terminal {
		if m.stdinR, m.stdinW, err = os.Pipe(); err != nil {
			return fmt.Errorf("making the container's stdin pipe: %w", err)
		}
	} else if m.stdinR, err = os.Open(os.DevNull); err != nil {
		return fmt.Errorf("opening %s: %w", os.DevNull, err)
	}
	c.Stdin, c.Stdout, c.Stderr = m.stdinR, m.outW, m.errW
	m.copiers.Add(2)
	go m.copy(m.outR, Stdout, TStdout)
	go m.copy(m.errR, Stderr, TStderr)
	return nil
}

// copy logs one output stream and passes it to attached clients.
func (m *mon) copy(r *os.File, stream string, t Type) {
	defer m.copiers.Done()
	buf := make([]byte, 16<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m.log.Write(stream, buf[:n])
			m.broadcast(Message{Type: t, Data: append([]byte(nil), buf[:n]...)})
		}
		if err != nil {
			r.Close()
			return
		}
	}
}

// closeWriters closes the monitor's own ends of the container's output
// pipes, so the copiers see EOF once the container's are gone too.
func (m *mon) closeWriters() {
	for _, f := range []*os.File{m.outW, m.errW, m.stdinR} {
		if f != nil {
			f.Close()
		}
	}
}

// Registered: the container's directory exists; open its log and socket.
func (m *mon) Registered(dir string) error {
	var err error
	if m.st, err = store.Open(m.l.StoreRoot); err != nil {
		return err
	}
	if m.log, err = OpenLog(m.st.Path(m.l.ID, store.LogFile), m.l.Options.LogSizeMax); err != nil {
		return err
	}
	sock := m.st.Path(m.l.ID, store.CtlSock)
	if len(sock) >= 108 {
		return fmt.Errorf("the control socket's path %s is longer than a Unix socket allows (107 bytes); use a shorter --root", sock)
	}
	if m.ln, err = net.ListenUnix("unixpacket", &net.UnixAddr{Name: sock, Net: "unixpacket"}); err != nil {
		return fmt.Errorf("making the control socket: %w", err)
	}
	go m.serve()
	return nil
}

// Terminal relays the container's terminal into the same pipes as the
// output of a run without one: what it prints goes to the log and to the
// attached clients, what they type goes to the stdin pipe.
func (m *mon) Terminal(master *os.File) (container.TerminalRelay, error) {
	fd, err := unix.FcntlInt(master.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("duplicating the terminal: %w", err)
	}
	m.master = os.NewFile(uintptr(fd), "terminal")
	return pty.Start(master, m.stdinR, m.outW)
}

// Running: the command runs. Tell the caller, and from now on write urun's
// own lines into the log.
func (m *mon) Running(int) {
	if m.l.Options.OCI != nil {
		m.ociRunning()
		return
	}
	m.started = true
	if !m.l.Spec.Process.Terminal {
		// The container holds its own copies now.
		m.outW.Close()
		m.errW.Close()
		m.stdinR.Close()
		m.outW, m.errW, m.stdinR = nil, nil, nil
	}
	m.msgs.switchTo(logWriter{m.log})
	fmt.Fprintln(m.report, "running")
	m.report.Close()
	m.report = nil
}

func (m *mon) reportStatus(status int) {
	if m.report != nil {
		fmt.Fprintf(m.report, "exit %d\n", status)
		m.report.Close()
		m.report = nil
	}
	m.msgs.switchTo(io.Discard)
}

// finish records the end: the exit file, the record, the waiters; then the
// socket goes, and with --rm the record.
func (m *mon) finish(status int) {
	_ = m.st.WriteExit(m.l.ID, status)
	_, _ = m.st.Update(m.l.ID, func(r *store.Record) error {
		now := time.Now()
		r.Status, r.ExitCode, r.Finished = store.Exited, &status, &now
		if m.log != nil && m.log.Err != nil {
			r.Error = "log: " + m.log.Err.Error()
		}
		return nil
	})
	m.mu.Lock()
	m.status = status
	close(m.exited)
	m.mu.Unlock()
	m.shutdown()
	if m.l.AutoRemove {
		_ = m.st.Remove(m.l.ID)
	}
}

// shutdown tells every client the status and closes the socket.
func (m *mon) shutdown() {
	if m.ln != nil {
		m.ln.Close()
		if m.st != nil {
			os.Remove(m.st.Path(m.l.ID, store.CtlSock))
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	exit := Message{Type: TExit, Value: m.status}
	for cl := range m.clients {
		close(cl.out)
		delete(m.clients, cl)
	}
	for _, w := range m.waiters {
		_ = w.Send(exit)
		w.Close()
	}
	m.waiters = nil
	m.log.Close()
}

func (m *mon) serve() {
	for {
		uc, err := m.ln.AcceptUnix()
		if err != nil {
			return
		}
		go m.handle(&Conn{c: uc})
	}
}

// handle serves one connection: its first message is the request.
func (m *mon) handle(c *Conn) {
	req, err := c.Recv()
	if err != nil {
		c.Close()
		return
	}
	switch req.Type {
	case TSignal:
		m.signal(syscall.Signal(req.Value))
		_ = c.Send(Message{Type: TOK})
		c.Close()
	case TWait:
		m.addWaiter(c)
	case TStop:
		m.sigs <- syscall.SIGTERM
		go func() {
			select {
			case <-m.exited:
			case <-time.After(time.Duration(req.Value) * time.Second):
				m.sigs <- syscall.SIGKILL
			}
		}()
		m.addWaiter(c)
	case TAttach:
		m.attach(c, req.Value == 1)
	case TStart:
		m.start(c)
	default:
		_ = c.Send(Message{Type: TError, Data: []byte("unexpected first message")})
		c.Close()
	}
}

func (m *mon) addWaiter(c *Conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.exited:
		_ = c.Send(Message{Type: TExit, Value: m.status})
		c.Close()
	default:
		m.waiters = append(m.waiters, c)
	}
}

// attach streams the output to c and its input to the container's stdin.
// The client ends an attach (detach) by closing its connection; the
// container goes on.
func (m *mon) attach(c *Conn, stdin bool) {
	cl := &client{c: c, out: make(chan Message, 256)}
	m.mu.Lock()
	select {
	case <-m.exited:
		m.mu.Unlock()
		_ = c.Send(Message{Type: TExit, Value: m.status})
		c.Close()
		return
	default:
	}
	m.clients[cl] = struct{}{}
	m.mu.Unlock()
	_ = c.Send(Message{Type: TOK})
	go func() {
		for msg := range cl.out {
			if c.Send(msg) != nil {
				break
			}
		}
		// The output ended: the container exited (the channel was
		// closed) or the client went away.
		select {
		case <-m.exited:
			_ = c.Send(Message{Type: TExit, Value: m.status})
		default:
		}
		c.Close()
	}()
	for {
		msg, err := c.Recv()
		if err != nil {
			break
		}
		switch {
		case msg.Type == TStdin && stdin && m.stdinW != nil:
			if _, err := m.stdinW.Write(msg.Data); err != nil && !errors.Is(err, os.ErrClosed) {
				fmt.Fprintf(m.msgs, "urun: writing the container's stdin: %v\n", err)
			}
		case msg.Type == TStdinClose && stdin && m.stdinW != nil && !m.l.Spec.Process.Terminal:
			m.stdinW.Close()
		case msg.Type == TResize && m.master != nil && msg.Rows > 0 && msg.Cols > 0:
			_ = pty.SetSize(m.master, msg.Rows, msg.Cols)
		}
	}
	m.drop(cl)
}

func (m *mon) drop(cl *client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.clients[cl]; ok {
		delete(m.clients, cl)
		close(cl.out)
	}
}

// broadcast passes output to the attached clients. A client that does not
// keep up is dropped rather than slowing the container (and the log) down.
func (m *mon) broadcast(msg Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for cl := range m.clients {
		select {
		case cl.out <- msg:
		default:
			delete(m.clients, cl)
			close(cl.out)
			cl.c.Close()
		}
	}
}

// messages is urun's own output: a writer that can be switched.
type messages struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
	// last is the last line written: what start reports of a failure.
	last string
}

func (s *messages) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := strings.TrimSpace(string(b)); l != "" {
		s.last = l
	}
	_, _ = s.w.Write(b)
	return len(b), nil
}

func (s *messages) switchTo(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
	if s.closer != nil {
		s.closer.Close()
		s.closer = nil
	}
}

// logWriter puts urun's lines in the log as the container's stderr.
type logWriter struct{ l *LogWriter }

func (w logWriter) Write(b []byte) (int, error) {
	w.l.Write(Stderr, b)
	return len(b), nil
}
