package monitor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
)

// Type is the first byte of every message on the control socket: conmon's
// one-byte stream tag, extended to every message of the protocol.
type Type byte

// Message types. Requests (client to monitor) are below 0x10, streams and
// replies (monitor to client) from 0x10; see doc.go for the order.
const (
	TAttach     Type = 0x01 // payload: 1 byte, 1 = the client sends stdin
	TStdin      Type = 0x02 // payload: bytes for the container's stdin
	TStdinClose Type = 0x03 // no payload: the client's stdin ended
	TResize     Type = 0x04 // payload: rows, cols as big-endian uint16
	TSignal     Type = 0x05 // payload: signal number, big-endian uint32
	TStop       Type = 0x06 // payload: seconds before SIGKILL, big-endian uint32
	TWait       Type = 0x07 // no payload
	TStart      Type = 0x08 // no payload: open the start gate of an OCI container

	TStdout Type = 0x11 // payload: bytes the container wrote on stdout (or its terminal)
	TStderr Type = 0x12 // payload: bytes the container wrote on stderr
	TExit   Type = 0x13 // payload: exit status, big-endian int32
	TOK     Type = 0x14 // no payload: the request is accepted
	TError  Type = 0x15 // payload: a one-line error text
)

// MaxMessage bounds one message (type byte included): a SOCK_SEQPACKET read
// with a smaller buffer would silently cut it.
const MaxMessage = 32 << 10

// Message is one decoded message.
type Message struct {
	Type Type
	// Data is the payload of stream messages (stdin, stdout, stderr) and
	// the text of an error.
	Data []byte
	// Value is the number a message carries: the stdin flag of attach,
	// the signal, the stop timeout, the exit status.
	Value int
	// Rows and Cols are a resize.
	Rows, Cols uint16
}

// Encode returns m on the wire.
func (m Message) Encode() []byte {
	b := []byte{byte(m.Type)}
	switch m.Type {
	case TAttach:
		v := byte(0)
		if m.Value != 0 {
			v = 1
		}
		b = append(b, v)
	case TStdin, TStdout, TStderr, TError:
		b = append(b, m.Data...)
	case TResize:
		b = binary.BigEndian.AppendUint16(b, m.Rows)
		b = binary.BigEndian.AppendUint16(b, m.Cols)
	case TSignal, TStop:
		b = binary.BigEndian.AppendUint32(b, uint32(m.Value))
	case TExit:
		b = binary.BigEndian.AppendUint32(b, uint32(int32(m.Value)))
	}
	return b
}

// Decode parses one message. The peer is not trusted (a client may be any
// process of the user's; the monitor's output carries the container's bytes):
// anything but a well-formed message of a known type is an error.
func Decode(b []byte) (Message, error) {
	if len(b) == 0 {
		return Message{}, errors.New("empty message")
	}
	if len(b) > MaxMessage {
		return Message{}, fmt.Errorf("message of %d bytes, at most %d", len(b), MaxMessage)
	}
	m := Message{Type: Type(b[0])}
	p := b[1:]
	want := func(n int) error {
		if len(p) != n {
			return fmt.Errorf("message type %#x: %d payload bytes, want %d", b[0], len(p), n)
		}
		return nil
	}
	switch m.Type {
	case TAttach:
		if err := want(1); err != nil {
			return m, err
		}
		if p[0] > 1 {
			return m, fmt.Errorf("attach: stdin flag %d", p[0])
		}
		m.Value = int(p[0])
	case TStdin, TStdout, TStderr, TError:
		m.Data = p
	case TStdinClose, TWait, TOK, TStart:
		if err := want(0); err != nil {
			return m, err
		}
	case TResize:
		if err := want(4); err != nil {
			return m, err
		}
		m.Rows, m.Cols = binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:])
	case TSignal:
		if err := want(4); err != nil {
			return m, err
		}
		v := binary.BigEndian.Uint32(p)
		if v == 0 || v > 64 {
			return m, fmt.Errorf("signal %d out of range", v)
		}
		m.Value = int(v)
	case TStop:
		if err := want(4); err != nil {
			return m, err
		}
		v := binary.BigEndian.Uint32(p)
		if v > 1<<20 {
			return m, fmt.Errorf("stop timeout %d s out of range", v)
		}
		m.Value = int(v)
	case TExit:
		if err := want(4); err != nil {
			return m, err
		}
		m.Value = int(int32(binary.BigEndian.Uint32(p)))
	default:
		return m, fmt.Errorf("unknown message type %#x", b[0])
	}
	return m, nil
}

// Conn is one control-socket connection.
type Conn struct {
	c   *net.UnixConn
	buf []byte
}

// Dial connects to a monitor's control socket.
func Dial(path string) (*Conn, error) {
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, err
	}
	return &Conn{c: c}, nil
}

// Send writes one message.
func (c *Conn) Send(m Message) error {
	b := m.Encode()
	if len(b) > MaxMessage {
		return fmt.Errorf("message of %d bytes, at most %d", len(b), MaxMessage)
	}
	_, err := c.c.Write(b)
	return err
}

// Recv reads one message; the returned Data is valid until the next Recv.
func (c *Conn) Recv() (Message, error) {
	if c.buf == nil {
		c.buf = make([]byte, MaxMessage+1)
	}
	n, err := c.c.Read(c.buf)
	if err != nil {
		return Message{}, err
	}
	if n == 0 {
		// A zero-length read on a seqpacket socket is the peer's close.
		return Message{}, net.ErrClosed
	}
	return Decode(c.buf[:n])
}

// SetDeadline bounds the next operations (a reply the client waits for).
func (c *Conn) SetDeadline(t time.Time) error { return c.c.SetDeadline(t) }

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }
