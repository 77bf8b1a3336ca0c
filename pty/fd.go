package pty

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// maxNameLen bounds the name carried with a descriptor: a path, which the
// parent only uses in messages.
const maxNameLen = 4096

// SendFd sends f's descriptor over the Unix socket sock (SCM_RIGHTS), with
// f.Name() as the message body so the receiver can name it. One call is one
// message: use a SOCK_SEQPACKET (or SOCK_STREAM) socketpair whose other end
// the receiver holds. f stays open in the sender; close it after sending if
// the sender has no further use for it.
func SendFd(sock *os.File, f *os.File) error {
	name := f.Name()
	if len(name) == 0 || len(name) > maxNameLen {
		// The body must not be empty: a message with no data byte is not
		// delivered on a stream socket.
		name = "fd"
	}
	err := control(f, func(fd int) error {
		rights := unix.UnixRights(fd)
		return rawWrite(sock, func(s int) error { return unix.Sendmsg(s, []byte(name), rights, nil, 0) })
	})
	if err != nil {
		return fmt.Errorf("send %s over %s: %w", f.Name(), sock.Name(), err)
	}
	return nil
}

// RecvFd receives one descriptor sent with [SendFd] on the Unix socket sock and
// returns it as a close-on-exec file named as the sender named it. It blocks
// until a message arrives; if every other holder of the peer end has closed it
// without sending, it fails instead of blocking forever (so the parent must
// close its copy of the child's end once the child has started). Anything
// other than exactly one descriptor is refused and whatever arrived is closed:
// the sender is the container and is not trusted.
func RecvFd(sock *os.File) (*os.File, error) {
	buf := make([]byte, maxNameLen)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn, flags int
	err := rawRead(sock, func(s int) (err error) {
		n, oobn, flags, _, err = unix.Recvmsg(s, buf, oob, unix.MSG_CMSG_CLOEXEC)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("receive a descriptor on %s: %w", sock.Name(), err)
	}
	if n == 0 && oobn == 0 {
		return nil, fmt.Errorf("receive a descriptor on %s: the sender closed the socket without sending one", sock.Name())
	}
	fds, perr := parseRights(oob[:oobn])
	if perr == nil && flags&unix.MSG_CTRUNC != 0 {
		perr = errors.New("control message truncated (more descriptors than expected)")
	}
	if perr == nil && len(fds) != 1 {
		perr = fmt.Errorf("got %d descriptors, want 1", len(fds))
	}
	if perr != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("receive a descriptor on %s: %w", sock.Name(), perr)
	}
	return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
}

// parseRights returns the descriptors carried by SCM_RIGHTS messages in oob.
// It only parses: the caller owns (and must close) what it returns.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		// x/sys indexes the payload in steps of 4 without checking its
		// length, so a payload that is not whole descriptors would make
		// it read past the end (a panic on the container's bytes).
		if len(msgs[i].Data)%4 != 0 {
			return fds, fmt.Errorf("parse SCM_RIGHTS: payload of %d bytes is not a whole number of descriptors", len(msgs[i].Data))
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			return fds, fmt.Errorf("parse SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// retryEINTR runs fn again while it is interrupted by a signal: returning
// false from a RawConn callback on a blocking file would fail instead of
// retrying.
func retryEINTR(fn func() error) error {
	for {
		if err := fn(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// rawRead runs fn on sock's descriptor as a read, waiting in Go's poller
// while fn reports EAGAIN, so it works on blocking and non-blocking sockets
// alike.
func rawRead(sock *os.File, fn func(fd int) error) error { return rawIO(sock, false, fn) }

// rawWrite is rawRead for writes.
func rawWrite(sock *os.File, fn func(fd int) error) error { return rawIO(sock, true, fn) }

func rawIO(sock *os.File, write bool, fn func(fd int) error) error {
	rc, err := sock.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	op := func(fd uintptr) bool {
		ferr = retryEINTR(func() error { return fn(int(fd)) })
		// EAGAIN only happens on a non-blocking socket: wait in the poller.
		return !errors.Is(ferr, unix.EAGAIN)
	}
	if write {
		err = rc.Write(op)
	} else {
		err = rc.Read(op)
	}
	if err != nil {
		return err
	}
	return ferr
}
