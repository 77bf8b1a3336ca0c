package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseProcess(t *testing.T) {
	var debug []string
	p, err := ParseProcess("p.json", []byte(`{"args":["sh","-c","id"],"env":["A=1"],"cwd":"/tmp",
		"user":{"uid":5,"gid":6,"additionalGids":[7],"umask":18},"terminal":true,"consoleSize":{"height":24,"width":80},
		"apparmorProfile":"unconfined","future":1}`),
		func(f string, a ...any) { debug = append(debug, f) })
	if err != nil {
		t.Fatal(err)
	}
	if p.Args[2] != "id" || p.Cwd != "/tmp" || p.User.UID != 5 || p.User.GID != 6 || *p.User.Umask != 18 || !p.Terminal || p.ConsoleSize.Width != 80 {
		t.Errorf("decoded %+v", p)
	}
	if len(debug) != 1 || !strings.Contains(debug[0], "apparmorProfile") {
		t.Errorf("debug lines %q, want one for apparmorProfile", debug)
	}
}

func TestParseProcessRefuses(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{"{\n\"args\": [\"sh\",]}", "line 2:"},
		{`{"args":"sh","cwd":"/"}`, "args must be []string"},
		{`{"cwd":"/"}`, "args is empty"},
		{`{"args":["sh"],"cwd":"tmp"}`, "not an absolute path"},
		{`{"args":["sh"]}`, "not an absolute path"},
		{`null`, "null"},
		{`[1]`, "must be specs.Process"},
		{``, "fix the JSON"},
	} {
		_, err := ParseProcess("p.json", []byte(c.json), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "process file p.json") {
			t.Errorf("%q: error %v, want one naming p.json and %q", c.json, err, c.want)
		}
	}
}

func TestLoadProcessMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadProcess(filepath.Join(dir, "nope.json"), nil)
	if err == nil || !strings.Contains(err.Error(), "no such file") || strings.Count(err.Error(), "nope.json") != 1 {
		t.Errorf("error %v", err)
	}
	if _, err := LoadProcess(dir, nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: error %v", err)
	}
	f := filepath.Join(dir, "p.json")
	if err := os.WriteFile(f, []byte(`{"args":["true"],"cwd":"/"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadProcess(f, nil); err != nil || p.Args[0] != "true" {
		t.Errorf("a good file: %v, %v", p, err)
	}
}

// FuzzParseProcess: no panic, every error one line, and an accepted
// process has args and an absolute cwd.
func FuzzParseProcess(f *testing.F) {
	f.Add([]byte(`{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},"capabilities":{"bounding":["CAP_KILL"]},"rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]}`))
	f.Add([]byte("{\n\"args\": 1}"))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProcess("p.json", b, func(string, ...any) {})
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if len(p.Args) == 0 || !strings.HasPrefix(p.Cwd, "/") {
			t.Fatalf("accepted %+v", p)
		}
	})
}
