package bundle

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/idmap"
)

// FuzzLoadConfig feeds config.json bytes to the parser and the checks: no
// panic, every error one line, and an accepted config has a 1.x version.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(`{"ociVersion":"1.0.0","root":{"path":"/r"},"mounts":[{"destination":"/x","type":"tmpfs","options":["size=1m","ro"]}],
	  "linux":{"namespaces":[{"type":"user"},{"type":"network","path":"/proc/self/ns/net"}],"uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"gidMappings":[{"containerID":0,"hostID":100000,"size":70000}]}}`))
	f.Add([]byte(`{"ociVersion":"1.0.2","root":{"path":"/r"},"process":{"cwd":"/","args":["sh"],"oomScoreAdj":2000,"rlimits":[{"type":"RLIMIT_NOFILE","soft":2,"hard":1},{"type":"RLIMIT_TEST\n"}]}}`))
	f.Add([]byte("{\n\"ociVersion\": 2}"))
	f.Add([]byte(`{"ociVersion":"2.0"}`))
	o := Options{
		Rootless: true, UID: 1000, GID: 1000,
		SubUIDs: []idmap.Range{{Start: 100000, Count: 65536}},
		SubGIDs: []idmap.Range{{Start: 100000, Count: 65536}},
		// Paths in fuzzed input are not opened: a fuzzer must not open
		// arbitrary files of the machine.
		NSType: func(p string) (specs.LinuxNamespaceType, error) {
			if p == "/proc/self/ns/net" {
				return specs.NetworkNamespace, nil
			}
			return "", errors.New("not a namespace file")
		},
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseConfig("config.json", b)
		if err == nil {
			if !strings.HasPrefix(s.Version, "1") {
				t.Fatalf("accepted ociVersion %q", s.Version)
			}
			err = Check(s, o)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("error is not one line: %q", err)
		}
	})
}

// FuzzCheckID: an accepted id is always a safe single path element.
func FuzzCheckID(f *testing.F) {
	for _, s := range []string{"a", "a/b", "..", "", "x.y+z_1-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := CheckID(id)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00\n") || len(id) > MaxIDLen {
			t.Fatalf("accepted %q", id)
		}
	})
}
