package cgroupdelegate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// manager is a connection to the systemd instance that will own the scope.
type manager struct {
	conn *sd.Conn
	// user is true for a user manager (an unprivileged caller), false for the
	// system manager (root).
	user bool
	// where names what was dialled, for messages.
	where string
}

// RuntimeDir is the caller's XDG runtime directory: $XDG_RUNTIME_DIR, or
// /run/user/UID where pam_systemd would have put it (sudo and su do not
// always pass the variable on).
func RuntimeDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return d
	}
	return filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
}

// connect reaches the systemd manager that serves this caller: the system
// manager for root, otherwise the caller's own user manager. The user manager
// is dialled directly on $XDG_RUNTIME_DIR/bus (its D-Bus, from
// dbus-user-session) and then on its private socket; never through
// DBUS_SESSION_BUS_ADDRESS, which may name a session bus without systemd, nor
// through dbus autolaunch.
func connect() (*manager, error) {
	if os.Geteuid() == 0 {
		// The context given to a connection bounds its whole life (godbus
		// closes it when the context ends), so it must outlive Attach.
		c, err := sd.NewSystemConnectionContext(context.Background())
		if err != nil {
			c, err = sd.NewSystemdConnectionContext(context.Background())
		}
		if err != nil {
			return nil, fmt.Errorf("connecting to the systemd system manager: %w", err)
		}
		m := &manager{conn: c, where: "the systemd system manager"}
		return m, m.probe()
	}
	dir := RuntimeDir()
	bus := filepath.Join(dir, "bus")
	private := filepath.Join(dir, "systemd", "private")
	var errs []string
	for _, try := range []struct {
		path  string
		hello bool
	}{{bus, true}, {private, false}} {
		if _, err := os.Stat(try.path); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		c, err := sd.NewConnection(dialer(try.path, try.hello))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", try.path, err))
			continue
		}
		m := &manager{conn: c, user: true, where: "the systemd user manager at " + try.path}
		if err := m.probe(); err != nil {
			c.Close()
			errs = append(errs, err.Error())
			continue
		}
		return m, nil
	}
	return nil, fmt.Errorf("no systemd user manager at %s (%s)", bus, strings.Join(errs, "; "))
}

// dialer returns a go-systemd dial function for a unix socket, authenticating
// with EXTERNAL as our real uid (what the bus checks against the socket's
// peer credentials). No context: godbus would close the connection when it
// ends, and the connection must live as long as the scope.
func dialer(path string, hello bool) func() (*dbus.Conn, error) {
	return func() (*dbus.Conn, error) {
		c, err := dbus.Dial("unix:path=" + path)
		if err != nil {
			return nil, err
		}
		if err := c.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
			c.Close()
			return nil, err
		}
		if hello {
			if err := c.Hello(); err != nil {
				c.Close()
				return nil, err
			}
		}
		return c, nil
	}
}

// probe checks that systemd really answers on the connection: a session bus
// can exist without a systemd user manager behind it.
func (m *manager) probe() error {
	if _, err := m.conn.GetManagerProperty("Version"); err != nil {
		return fmt.Errorf("%s does not answer: %w", m.where, err)
	}
	return nil
}

// dbusErrorName returns the D-Bus error name in err ("" if none).
func dbusErrorName(err error) string {
	var e dbus.Error
	if errors.As(err, &e) {
		return e.Name
	}
	var pe *dbus.Error
	if errors.As(err, &pe) {
		return pe.Name
	}
	return ""
}

// ManagerInfo describes the systemd manager that would hold urun's scopes.
type ManagerInfo struct {
	// Where names the manager and the socket it was reached on.
	Where string
	// Version is systemd's version string.
	Version string
	// User is true for a user manager, false for the system manager.
	User bool
	// Cgroup is the manager's own cgroup (relative to the cgroup root):
	// its cgroup.controllers lists what it can delegate.
	Cgroup string
}

// ProbeManager connects to the manager Attach would use and describes it.
func ProbeManager() (ManagerInfo, error) {
	m, err := connect()
	if err != nil {
		return ManagerInfo{}, err
	}
	defer m.conn.Close()
	info := ManagerInfo{Where: m.where, User: m.user}
	// GetManagerProperty answers in GVariant text form: strings are quoted.
	if v, err := m.conn.GetManagerProperty("Version"); err == nil {
		info.Version = strings.Trim(v, `"'`)
	}
	if v, err := m.conn.GetManagerProperty("ControlGroup"); err == nil {
		info.Cgroup = strings.Trim(v, `"'`)
	}
	return info, nil
}
