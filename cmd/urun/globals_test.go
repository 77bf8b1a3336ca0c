package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGlobalFlagsBeforeAnyVerb: the engines' global flags parse before a
// verb, in both spellings, and reach the verbs through the binding.
func TestGlobalFlagsBeforeAnyVerb(t *testing.T) {
	for _, args := range [][]string{
		{"--root", "/run/x", "--log", "/tmp/l", "--log-format", "json", "--systemd-cgroup", "--debug", "version"},
		{"--root=/run/x", "--log=/tmp/l", "--log-format=json", "--systemd-cgroup", "--debug", "features"},
		{"--root", "/run/x", "--log", "/tmp/l", "--log-format", "json", "--systemd-cgroup", "--debug", "run", "--network", "none", "./rootfs", "true"},
	} {
		var cli CLI
		parser, err := newParser(&cli)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.Parse(args); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		g := cli.Globals
		if g.Root != "/run/x" || g.Log != "/tmp/l" || g.LogFormat != "json" || !g.SystemdCgroup || !g.Debug {
			t.Errorf("%q: %+v", args, g)
		}
	}
	var cli CLI
	parser, _ := newParser(&cli)
	if _, err := parser.Parse([]string{"--log-format", "yaml", "version"}); err == nil {
		t.Error("--log-format yaml accepted")
	}
}

// TestErrorGoesToTheLogAsJSON: a one-line user error is also a JSON line
// in the --log file, which is what conmon and containerd read.
func TestErrorGoesToTheLogAsJSON(t *testing.T) {
	defer func() { errLog = nil }()
	log := filepath.Join(t.TempDir(), "log.json")
	status := run([]string{"--log", log, "--log-format", "json", "run", "--network", "bogus", t.TempDir(), "true"})
	if status != 125 {
		t.Fatalf("status %d, want 125", status)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var e struct{ Level, Msg, Time string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &e); err != nil {
		t.Fatalf("%v: %q", err, b)
	}
	if e.Level != "error" || !strings.Contains(e.Msg, "bogus") || e.Time == "" {
		t.Errorf("log entry %+v", e)
	}
}
