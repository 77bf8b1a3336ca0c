package container

import (
	"os"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestExecProcess: exec's process is the container's with the command, -e
// over its environment, -w over its work directory, and nothing of the
// container's terminal; the container's spec is not changed.
func TestExecProcess(t *testing.T) {
	base := &specs.Spec{Process: &specs.Process{
		Args: []string{"sleep", "1000"}, Env: []string{"PATH=/bin", "HOME=/root"}, Cwd: "/srv",
		Terminal: true, ConsoleSize: &specs.Box{Height: 10, Width: 20},
		User: specs.User{UID: 5, GID: 6}, NoNewPrivileges: true,
	}}
	for _, c := range []struct {
		name string
		cfg  ExecConfig
		env  []string
		cwd  string
	}{
		{"defaults", ExecConfig{Args: []string{"sh"}}, []string{"PATH=/bin", "HOME=/root"}, "/srv"},
		{"-e and -w", ExecConfig{Args: []string{"sh"}, Env: []string{"HOME=/x", "A=1"}, Cwd: "/tmp"}, []string{"PATH=/bin", "HOME=/x", "A=1"}, "/tmp"},
	} {
		c.cfg.Spec = base
		p, err := execProcess(&c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(p.Args, []string{"sh"}) || !reflect.DeepEqual(p.Env, c.env) || p.Cwd != c.cwd {
			t.Errorf("%s: args %q env %q cwd %q; want [sh] %q %q", c.name, p.Args, p.Env, p.Cwd, c.env, c.cwd)
		}
		if p.Terminal || p.ConsoleSize != nil || p.User.UID != 5 || !p.NoNewPrivileges {
			t.Errorf("%s: terminal %v size %v uid %d nnp %v; want no terminal, the container's user and no_new_privs", c.name, p.Terminal, p.ConsoleSize, p.User.UID, p.NoNewPrivileges)
		}
	}
	if base.Process.Args[0] != "sleep" || len(base.Process.Env) != 2 || base.Process.Cwd != "/srv" {
		t.Errorf("the container's spec was changed: %+v", base.Process)
	}
	if _, err := execProcess(&ExecConfig{Spec: base}); err == nil {
		t.Error("no command: no error")
	}
}

// TestExecProcessFile: with --process, the file's process runs (its env,
// not the container's), with the container's capabilities and rlimits when
// it has none, as runc does; --cap adds to every set without changing the
// container's spec, and the CLI's flags still override.
func TestExecProcessFile(t *testing.T) {
	caps := &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}}
	base := &specs.Spec{Process: &specs.Process{
		Args: []string{"sleep"}, Env: []string{"PATH=/bin"}, Cwd: "/srv", Capabilities: caps,
		Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 10, Soft: 10}},
	}}
	file := &specs.Process{Args: []string{"id"}, Env: []string{"A=1"}, Cwd: "/tmp", User: specs.User{UID: 7}, Terminal: true}
	p, err := execProcess(&ExecConfig{Spec: base, Process: file, Caps: []string{"CAP_CHOWN"}, NoNewPrivs: true, ConsoleSocket: "/s", Detach: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Args, []string{"id"}) || !reflect.DeepEqual(p.Env, []string{"A=1", "TERM=" + termOr("xterm")}) || p.Cwd != "/tmp" || p.User.UID != 7 || !p.Terminal {
		t.Errorf("process %+v, want the file's", p)
	}
	if len(p.Rlimits) != 1 || !p.NoNewPrivileges {
		t.Errorf("rlimits %v nnp %v: want the container's rlimits and no_new_privs", p.Rlimits, p.NoNewPrivileges)
	}
	want := []string{"CAP_KILL", "CAP_CHOWN"}
	if !reflect.DeepEqual(p.Capabilities.Bounding, want) || !reflect.DeepEqual(p.Capabilities.Ambient, []string{"CAP_CHOWN"}) {
		t.Errorf("capabilities %+v, want the container's plus CAP_CHOWN", p.Capabilities)
	}
	if len(caps.Bounding) != 1 {
		t.Errorf("the container's capabilities were changed: %v", caps.Bounding)
	}
	p, err = execProcess(&ExecConfig{Spec: base, Process: file, Args: []string{"sh"}, Cwd: "/", ConsoleSocket: "/s"})
	if err != nil || p.Args[0] != "sh" || p.Cwd != "/" {
		t.Errorf("flags over the file: %+v, %v", p, err)
	}
}

// TestExecTerminalNeedsItsSocket: a detached terminal needs a console
// socket, and a console socket needs a terminal.
func TestExecTerminalNeedsItsSocket(t *testing.T) {
	base := &specs.Spec{Process: &specs.Process{Cwd: "/"}}
	if _, err := execProcess(&ExecConfig{Spec: base, Args: []string{"sh"}, TTY: true, Detach: true}); err == nil {
		t.Error("-d -t without --console-socket: no error")
	}
	if _, err := execProcess(&ExecConfig{Spec: base, Args: []string{"sh"}, ConsoleSocket: "/s"}); err == nil {
		t.Error("--console-socket without a terminal: no error")
	}
}

func termOr(def string) string {
	if v := os.Getenv("TERM"); v != "" {
		return v
	}
	return def
}
