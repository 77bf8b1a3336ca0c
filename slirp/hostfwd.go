package slirp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// CheckPort binds pm's host address and port the way slirp4netns will and
// lets go again, so that a port already taken (or not bindable by this
// user) is one clear line naming the port before anything is started.
// AddHostFwd calls it; the CLI may call it earlier to fail before the
// container exists.
func CheckPort(pm PortMapping) error {
	if err := pm.check(); err != nil {
		return err
	}
	addr := net.JoinHostPort(pm.HostIP.String(), strconv.Itoa(int(pm.HostPort)))
	var c io.Closer
	var err error
	// Both sides use SO_REUSEADDR for TCP (Go's listener and libslirp's),
	// so a port held only by TIME_WAIT connections passes here and there.
	if pm.Protocol == "udp" {
		c, err = net.ListenPacket("udp4", addr)
	} else {
		c, err = net.Listen("tcp4", addr)
	}
	if err == nil {
		return c.Close()
	}
	what := fmt.Sprintf("-p %s: host port %d/%s on %s", pm, pm.HostPort, pm.Protocol, pm.HostIP)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s is already in use; choose another host port", what)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s cannot be bound by this user (ports below net.ipv4.ip_unprivileged_port_start, usually 1024, need privilege); choose a higher host port", what)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%s: %s is not an address of this host", what, pm.HostIP)
	}
	return fmt.Errorf("%s cannot be bound: %w", what, err)
}

func (pm PortMapping) check() error {
	if pm.Protocol != "tcp" && pm.Protocol != "udp" {
		return fmt.Errorf("-p %s: protocol must be tcp or udp", pm)
	}
	if !pm.HostIP.Is4() {
		return fmt.Errorf("-p %s: slirp4netns publishes on IPv4 host addresses only", pm)
	}
	if pm.HostPort == 0 || pm.ContainerPort == 0 {
		return fmt.Errorf("-p %s: ports must be from 1 to 65535", pm)
	}
	return nil
}

type apiRequest struct {
	Execute   string `json:"execute"`
	Arguments any    `json:"arguments,omitempty"`
}

type hostfwdArgs struct {
	Proto     string `json:"proto"`
	HostAddr  string `json:"host_addr"`
	HostPort  int    `json:"host_port"`
	GuestPort int    `json:"guest_port"`
}

type apiResponse struct {
	Return json.RawMessage `json:"return"`
	Error  *struct {
		Desc string `json:"desc"`
	} `json:"error"`
}

// AddHostFwd publishes pm: slirp4netns listens on the host address and port
// and forwards to the container's address (10.0.2.100). It checks first that
// the host port is free (CheckPort), so that a taken port is one line naming
// it.
func (s *Slirp) AddHostFwd(pm PortMapping) error {
	if err := CheckPort(pm); err != nil {
		return err
	}
	if s.apiSocket == "" {
		return fmt.Errorf("-p %s: this slirp4netns has no --api-socket, which publishing needs; upgrade slirp4netns", pm)
	}
	req := apiRequest{Execute: "add_hostfwd", Arguments: hostfwdArgs{
		Proto:     pm.Protocol,
		HostAddr:  pm.HostIP.String(),
		HostPort:  int(pm.HostPort),
		GuestPort: int(pm.ContainerPort),
	}}
	var resp apiResponse
	if err := s.call(req, &resp); err != nil {
		return fmt.Errorf("-p %s: %w", pm, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("-p %s: slirp4netns refused to publish the port (%s); is host port %d/%s in use?", pm, resp.Error.Desc, pm.HostPort, pm.Protocol)
	}
	if len(resp.Return) == 0 {
		return fmt.Errorf("-p %s: slirp4netns gave no answer", pm)
	}
	s.ports = append(s.ports, pm)
	return nil
}

// call sends one request to the API socket and decodes the answer.
// slirp4netns handles one request per connection: it reads once, answers
// and closes.
func (s *Slirp) call(req apiRequest, resp *apiResponse) error {
	msg, err := json.Marshal(req)
	if err != nil {
		return err
	}
	conn, err := s.dialAPI()
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(ReadyTimeout)); err != nil {
		return err
	}
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("writing to the slirp4netns API socket: %w", err)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		return fmt.Errorf("reading from the slirp4netns API socket: %w", err)
	}
	if err := json.Unmarshal(b, resp); err != nil {
		return fmt.Errorf("slirp4netns API answered %q: %w", b, err)
	}
	return nil
}

// dialAPI connects to the API socket. slirp4netns signals ready when tap0 is
// configured, which can be before its main loop has bound the socket, so
// a missing or not yet listening socket is retried while slirp4netns lives.
func (s *Slirp) dialAPI() (net.Conn, error) {
	path := s.apiSocket
	if len(path) >= 108 {
		// Too long for a sockaddr_un: reach it through a directory fd.
		dir, err := os.Open(filepath.Dir(path))
		if err != nil {
			return nil, err
		}
		defer dir.Close()
		path = fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path))
	}
	deadline := time.Now().Add(ReadyTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		conn, err := net.Dial("unix", path)
		if err == nil {
			return conn, nil
		}
		if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("connecting to the slirp4netns API socket: %w", err)
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("slirp4netns exited: %s", explain(s.readLog(), -1))
		case <-time.After(delay):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the slirp4netns API socket %s did not answer within %v", s.apiSocket, ReadyTimeout)
		}
	}
}
