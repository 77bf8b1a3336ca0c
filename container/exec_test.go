package container

import (
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
