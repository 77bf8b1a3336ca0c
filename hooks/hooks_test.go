package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func state() *specs.State {
	return &specs.State{Version: specs.Version, ID: "c1", Status: specs.StateCreating, Pid: 42, Bundle: "/b", Annotations: map[string]string{"a": "b"}}
}

func TestHookGetsStateArgsAndEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	p := script(t, `cat > "$OUT.state"; echo "$0 $1 $2" > "$OUT.args"; env | sort > "$OUT.env"`)
	h := &specs.Hooks{CreateRuntime: []specs.Hook{{Path: p, Args: []string{"myhook", "one", "two"}, Env: []string{"OUT=" + out, "FOO=bar"}}}}
	t.Setenv("URUN_SECRET", "leak")
	if err := Run(context.Background(), h, CreateRuntime, state(), Options{}); err != nil {
		t.Fatal(err)
	}
	var got specs.State
	b, err := os.ReadFile(out + ".state")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("state on stdin is not JSON: %v: %q", err, b)
	}
	if got.ID != "c1" || got.Pid != 42 || got.Status != specs.StateCreating || got.Bundle != "/b" || got.Annotations["a"] != "b" || got.Version != specs.Version {
		t.Errorf("state on stdin: %+v", got)
	}
	args, _ := os.ReadFile(out + ".args")
	// $0 of a script is the path the kernel ran; $1 $2 the hook's args[1:].
	if !strings.HasSuffix(strings.TrimSpace(string(args)), " one two") {
		t.Errorf("args: %q", args)
	}
	env, _ := os.ReadFile(out + ".env")
	if !strings.Contains(string(env), "FOO=bar\n") || strings.Contains(string(env), "URUN_SECRET") {
		t.Errorf("env is not exactly the hook's: %q", env)
	}
}

func TestHookArgv0(t *testing.T) {
	out := filepath.Join(t.TempDir(), "argv0")
	// /bin/sh -c: argv[0] is args[0], as execve, and becomes $0.
	h := &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", `echo "$0" > ` + out, "name0"}}}}
	if errs := RunAll(context.Background(), h, Poststop, state(), Options{}); errs != nil {
		t.Fatal(errs)
	}
	b, _ := os.ReadFile(out)
	if strings.TrimSpace(string(b)) != "name0" {
		t.Errorf("got %q", b)
	}
}

func TestFailingHookIsNamed(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	h := &specs.Hooks{CreateContainer: []specs.Hook{
		{Path: script(t, "echo first line >&2; echo 'no network for you' >&2; exit 3")},
		{Path: script(t, "touch "+ran)},
	}}
	var stderr strings.Builder
	err := Run(context.Background(), h, CreateContainer, state(), Options{Stderr: &stderr})
	var he *Error
	if !errors.As(err, &he) || he.Phase != CreateContainer || he.Index != 0 {
		t.Fatalf("got %v", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "createContainer hook 0 (") || !strings.Contains(msg, "exit status 3") || !strings.HasSuffix(msg, ": no network for you") {
		t.Errorf("message: %q", msg)
	}
	if !strings.Contains(stderr.String(), "first line") {
		t.Errorf("stderr not passed on: %q", stderr.String())
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the hook after a failing one ran")
	}
	if !CreateContainer.Fatal() || Poststop.Fatal() || Poststart.Fatal() {
		t.Error("Fatal: poststart and poststop failures are warnings, the others fatal")
	}
}

func TestHookTimeout(t *testing.T) {
	one := 1
	// The sleep is a child of the shell: the kill must reach it too, or
	// the wait would last 60 s.
	//lint:ignore SA1019 engines still send prestart hooks
	h := &specs.Hooks{Prestart: []specs.Hook{{Path: script(t, "sleep 60; exit 0"), Timeout: &one}}}
	err := Run(context.Background(), h, Prestart, state(), Options{})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "prestart hook 0") || !strings.Contains(err.Error(), "timed out after 1s") {
		t.Fatalf("got %v", err)
	}
}

func TestPoststopRunsEveryHook(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	h := &specs.Hooks{Poststop: []specs.Hook{
		{Path: "/nonexistent/hook"},
		{Path: script(t, "touch "+ran)},
		{Path: script(t, "exit 1")},
	}}
	errs := RunAll(context.Background(), h, Poststop, state(), Options{})
	if len(errs) != 2 {
		t.Fatalf("got %v, want 2 failures", errs)
	}
	if !strings.Contains(errs[0].Error(), "poststop hook 0 (/nonexistent/hook)") || !strings.Contains(errs[1].Error(), "poststop hook 2") {
		t.Errorf("got %v", errs)
	}
	if _, err := os.Stat(ran); err != nil {
		t.Error("the hook after a failing poststop hook did not run")
	}
}

func TestBadHooks(t *testing.T) {
	zero := 0
	for _, hk := range []specs.Hook{{Path: "relative"}, {Path: "/bin/true", Timeout: &zero}} {
		err := Run(context.Background(), &specs.Hooks{StartContainer: []specs.Hook{hk}}, StartContainer, state(), Options{})
		if err == nil {
			t.Errorf("%+v: no error", hk)
		}
	}
	if err := Run(context.Background(), nil, Poststart, state(), Options{}); err != nil {
		t.Errorf("no hooks: %v", err)
	}
}

func TestOfEveryPhase(t *testing.T) {
	h := &specs.Hooks{}
	//lint:ignore SA1019 engines still send prestart hooks
	all := []*[]specs.Hook{&h.Prestart, &h.CreateRuntime, &h.CreateContainer, &h.StartContainer, &h.Poststart, &h.Poststop}
	for i, p := range all {
		*p = []specs.Hook{{Path: "/" + string(Phases[i])}}
	}
	for _, p := range Phases {
		if hs := Of(h, p); len(hs) != 1 || hs[0].Path != "/"+string(p) {
			t.Errorf("%s: got %+v", p, hs)
		}
	}
}
