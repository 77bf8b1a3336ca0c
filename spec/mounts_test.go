package spec

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseVolume(t *testing.T) {
	for _, c := range []struct {
		in   string
		want specs.Mount
		err  string
	}{
		{in: "/src:/src", want: specs.Mount{Destination: "/src", Type: "bind", Source: "/src", Options: []string{"rbind", "rw", "rprivate"}}},
		{in: "./out:/out/:ro,z", want: specs.Mount{Destination: "/out", Type: "bind", Source: "./out", Options: []string{"rbind", "ro", "rprivate"}}},
		{in: "/a:/b:U,rslave,noexec,Z", want: specs.Mount{Destination: "/b", Type: "bind", Source: "/a", Options: []string{"rbind", "rw", "rslave", "noexec", "U"}}},
		{in: "/a:/b:bind", want: specs.Mount{Destination: "/b", Type: "bind", Source: "/a", Options: []string{"bind", "rw", "rprivate"}}},
		{in: "/a", err: "HOSTPATH:CTRPATH"},
		{in: "/a:/b:ro:x", err: "HOSTPATH:CTRPATH"},
		{in: ":/b", err: "host path is empty"},
		{in: "name:/b", err: "named volumes"},
		{in: "/a:", err: "container path is empty"},
		{in: "/a:b", err: "not absolute"},
		{in: "/a:/proc", err: "cannot mount over /proc"},
		{in: "/a:/sys/", err: "cannot mount over /sys"},
		{in: "/a:/dev", err: "cannot mount over /dev"},
		{in: "/a:/", err: "cannot mount over /"},
		{in: "/a:/b:ro,rw", err: "both ro and rw"},
		{in: "/a:/b:shared,slave", err: "two propagation"},
		{in: "/a:/b:O", err: `unknown option "O"`},
		{in: "/a:/b:", err: `unknown option ""`},
	} {
		got, err := ParseVolume(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseVolume(%q) = %v, want one line with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseVolume(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseTmpfs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "/t", want: []string{"rw", "noexec", "nosuid", "nodev"}},
		{in: "/t:size=1m,mode=1777", want: []string{"rw", "noexec", "nosuid", "nodev", "size=1048576", "mode=1777"}},
		{in: "/t:ro,exec,suid", want: []string{"ro", "exec", "suid", "nodev"}},
		{in: "/t:nr_inodes=10,uid=1,gid=2", want: []string{"rw", "noexec", "nosuid", "nodev", "nr_inodes=10", "uid=1", "gid=2"}},
		{in: "t", err: "not absolute"},
		{in: "/t:size=lots", err: "not a size"},
		{in: "/t:mode=999", err: "octal"},
		{in: "/t:mode=17777", err: "octal"},
		{in: "/t:uid=x", err: "not a number"},
		{in: "/t:foo", err: "unknown option"},
		{in: "/dev:size=1m", err: "cannot mount over /dev"},
	} {
		got, err := ParseTmpfs(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseTmpfs(%q) = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got.Type != "tmpfs" || !reflect.DeepEqual(got.Options, c.want) {
			t.Errorf("ParseTmpfs(%q) = %+v, %v; want options %v", c.in, got, err, c.want)
		}
	}
}

func TestParseMount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want specs.Mount
		err  string
	}{
		{in: "type=bind,src=/a,dst=/b", want: specs.Mount{Destination: "/b", Type: "bind", Source: "/a", Options: []string{"rbind", "rw", "rprivate"}}},
		{in: "type=bind,source=/a,target=/b,readonly,bind-propagation=rshared", want: specs.Mount{Destination: "/b", Type: "bind", Source: "/a", Options: []string{"rbind", "ro", "rshared"}}},
		{in: "type=bind,source=/a,destination=/b,ro=false,bind-nonrecursive=true", want: specs.Mount{Destination: "/b", Type: "bind", Source: "/a", Options: []string{"bind", "rw", "rprivate"}}},
		{in: "type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=700", want: specs.Mount{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "noexec", "nosuid", "nodev", "size=2097152", "mode=700"}}},
		{in: "src=/a,dst=/b", err: "no type"},
		{in: "type=volume,src=v,dst=/b", err: "not supported"},
		{in: "type=bind,dst=/b", err: "host path is empty"},
		{in: "type=bind,src=/a", err: "container path is empty"},
		{in: "type=bind,src=/a,dst=/b,tmpfs-size=1m", err: "for type=tmpfs"},
		{in: "type=tmpfs,dst=/t,bind-propagation=shared", err: "for type=bind"},
		{in: "type=tmpfs,src=/a,dst=/t", err: "no source"},
		{in: "type=bind,src=/a,dst=/b,colour=red", err: "unknown key"},
		{in: "type=bind,src,dst=/b", err: "needs a value"},
		{in: "type=bind,src=/a,dst=/b,bind-propagation=up", err: "bind-propagation"},
		{in: "type=bind,src=/a,dst=/sys", err: "cannot mount over /sys"},
	} {
		got, err := ParseMount(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseMount(%q) = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseMount(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestNewOrdersMounts(t *testing.T) {
	user := []specs.Mount{{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"}, {Destination: "/src", Type: "bind", Source: "/s"}}
	s, err := New(Options{Rootfs: "/r", Args: []string{"sh"}, Workdir: "/", Mounts: user, ReadOnly: true, ReadOnlyTmpfs: true})
	if err != nil {
		t.Fatal(err)
	}
	AddSystemMounts(s, specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: "/h"})
	var dests []string
	for _, m := range s.Mounts[len(DefaultMounts()):] {
		dests = append(dests, m.Destination)
	}
	// The user's /tmp replaces --read-only's; urun's /etc/hosts comes
	// before the user's mounts.
	if want := []string{"/var/tmp", "/run", "/etc/hosts", "/tmp", "/src"}; !reflect.DeepEqual(dests, want) {
		t.Errorf("mounts %v, want %v", dests, want)
	}
	if !s.Root.Readonly {
		t.Error("root not read-only")
	}
}

// The parsers must return an error, never panic, and whatever they accept
// must be a clean absolute container path urun may mount on.
func checkParsed(t *testing.T, m specs.Mount, err error) {
	if err != nil {
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error of more than one line: %q", err)
		}
		return
	}
	if d, derr := CheckDestination(m.Destination); derr != nil || d != m.Destination {
		t.Errorf("accepted destination %q: %v", m.Destination, derr)
	}
}

func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/a:/b", "./a:/b:ro,U", "/a:/proc", "a:b:c:d", "/a:/b:rslave,z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseVolume(s)
		checkParsed(t, m, err)
	})
}

func FuzzParseMount(f *testing.F) {
	for _, s := range []string{"type=bind,src=/a,dst=/b,ro", "type=tmpfs,dst=/t,tmpfs-size=1m", "type=,", "=,=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMount(s)
		checkParsed(t, m, err)
	})
}

func FuzzParseTmpfs(f *testing.F) {
	for _, s := range []string{"/t", "/t:size=1m,mode=1777", "/t:ro,exec", "x:y:z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseTmpfs(s)
		checkParsed(t, m, err)
	})
}
