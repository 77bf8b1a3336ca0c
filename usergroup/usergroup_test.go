package usergroup

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

const passwdFile = `root:x:0:0:root:/root:/bin/sh
# a comment
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:100::/home/bob:/bin/sh
broken:x:notanumber:1::/:/bin/sh
short:x:5
nohome:x:1002:1002:::/bin/sh
`

const groupFile = `root:x:0:
users:x:100:alice
wheel:x:10:alice,bob
staff:x:50:
`

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Spec
		bad  bool
	}{
		{in: "1000", want: Spec{User: "1000"}},
		{in: "1000:1000", want: Spec{User: "1000", Group: "1000"}},
		{in: "alice:wheel", want: Spec{User: "alice", Group: "wheel"}},
		{in: "", bad: true},
		{in: ":1000", bad: true},
		{in: "alice:", bad: true},
		{in: "a:b:c", bad: true},
		{in: "4294967295", bad: true},
		{in: "99999999999999999999", bad: true},
		{in: "al\nice", bad: true},
		{in: strings.Repeat("a", 300), bad: true},
	} {
		got, err := ParseSpec(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParseSpec(%q) = %+v, want an error", c.in, got)
			} else if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseSpec(%q): error is not one line: %q", c.in, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParsePasswd(t *testing.T) {
	p, err := ParsePasswd(strings.NewReader(passwdFile))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range p {
		names = append(names, e.Name)
	}
	if want := []string{"root", "alice", "bob", "nohome"}; !reflect.DeepEqual(names, want) {
		t.Errorf("entries %v, want %v (malformed lines skipped)", names, want)
	}
	if p[1] != (Passwd{Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice", Shell: "/bin/sh"}) {
		t.Errorf("alice: %+v", p[1])
	}
	// A line longer than maxLine is skipped, the next still read.
	long := strings.Repeat("x", maxLine+10) + "\nz:x:7:7::/z:/bin/sh\n"
	p, err = ParsePasswd(strings.NewReader(long))
	if err != nil || len(p) != 1 || p[0].Name != "z" {
		t.Errorf("after a long line: %+v, %v", p, err)
	}
}

func TestLookup(t *testing.T) {
	p, _ := ParsePasswd(strings.NewReader(passwdFile))
	g, _ := ParseGroup(strings.NewReader(groupFile))
	for _, c := range []struct {
		user     string
		groupAdd []string
		want     User
		bad      bool
	}{
		// A name takes its entry's ids and home, and its memberships.
		{user: "alice", want: User{UID: 1000, GID: 1000, Name: "alice", Home: "/home/alice", AdditionalGids: []uint32{100, 10}}},
		// A uid with an entry is that entry.
		{user: "1001", want: User{UID: 1001, GID: 100, Name: "bob", Home: "/home/bob", AdditionalGids: []uint32{10}}},
		// A uid without an entry: gid 0, HOME=/ (runc).
		{user: "4242", want: User{UID: 4242, GID: 0, Home: "/"}},
		// uid:gid as given; an explicit group drops the memberships.
		{user: "1000:1000", want: User{UID: 1000, GID: 1000, Name: "alice", Home: "/home/alice"}},
		{user: "alice:wheel", want: User{UID: 1000, GID: 10, Name: "alice", Home: "/home/alice"}},
		{user: "4242:4343", want: User{UID: 4242, GID: 4343, Home: "/"}},
		{user: "nohome", want: User{UID: 1002, GID: 1002, Name: "nohome", Home: "/"}},
		{user: "4242", groupAdd: []string{"staff", "77", "staff"}, want: User{UID: 4242, Home: "/", AdditionalGids: []uint32{50, 77}}},
		{user: "nosuch", bad: true},
		{user: "alice:nosuch", bad: true},
		{user: "0", groupAdd: []string{"nosuch"}, bad: true},
		{user: "0", groupAdd: []string{""}, bad: true},
	} {
		s, err := ParseSpec(c.user)
		if err != nil {
			t.Fatalf("ParseSpec(%q): %v", c.user, err)
		}
		got, err := Lookup(s, c.groupAdd, p, g, false, false)
		if c.bad {
			if err == nil {
				t.Errorf("Lookup(%q, %q) = %+v, want an error", c.user, c.groupAdd, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(*got, c.want) {
			t.Errorf("Lookup(%q, %q) = %+v, %v; want %+v", c.user, c.groupAdd, got, err, c.want)
		}
	}
}

func TestResolveStaysInsideTheRootfs(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	host := filepath.Join(dir, "hostpasswd")
	if err := os.WriteFile(host, []byte("evil:x:666:666::/host:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(root, strings.TrimPrefix(host, "/"))
	if err := os.MkdirAll(filepath.Dir(inside), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inside, []byte("evil:x:777:777::/inside:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	// An absolute symlink out of the rootfs is resolved inside it.
	if err := os.Symlink(host, filepath.Join(root, "etc", "passwd")); err != nil {
		t.Fatal(err)
	}
	u, err := Resolve(root, "evil", nil)
	if err != nil || u.UID != 777 || u.Home != "/inside" {
		t.Fatalf("Resolve through the symlink = %+v, %v; want uid 777 from the rootfs's copy", u, err)
	}
	// A relative one climbing out is clamped at the rootfs's root.
	os.Remove(filepath.Join(root, "etc", "passwd"))
	os.Symlink("../../../../../../../.."+host, filepath.Join(root, "etc", "passwd"))
	if u, err = Resolve(root, "evil", nil); err != nil || u.UID != 777 {
		t.Fatalf("Resolve through ../ = %+v, %v; want uid 777", u, err)
	}
	// No file: names fail, numbers work with gid 0 and HOME=/.
	os.RemoveAll(filepath.Join(root, "etc"))
	if _, err := Resolve(root, "evil", nil); err == nil {
		t.Error("a name without /etc/passwd resolved")
	}
	if u, err := Resolve(root, "1234", nil); err != nil || u.UID != 1234 || u.GID != 0 || u.Home != "/" {
		t.Errorf("Resolve(1234) without passwd = %+v, %v", u, err)
	}
}

func FuzzParseUser(f *testing.F) {
	for _, s := range []string{"1000", "1000:1000", "alice:wheel", ":", "a:b:c", "4294967295"} {
		f.Add(s)
	}
	p, _ := ParsePasswd(strings.NewReader(passwdFile))
	g, _ := ParseGroup(strings.NewReader(groupFile))
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			return
		}
		if _, err := Lookup(sp, []string{sp.User}, p, g, false, false); err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error of more than one line: %q", err)
		}
	})
}

func FuzzParsePasswd(f *testing.F) {
	f.Add(passwdFile)
	f.Add(groupFile)
	f.Add("a:b:c:d:e:f:g:h\n\n#\r\n:::::::")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePasswd(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p {
			if e.Name == "" || strings.ContainsAny(e.Name, ":\n") {
				t.Errorf("bad entry %+v", e)
			}
		}
		if _, err := ParseGroup(strings.NewReader(s)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReadFileAndHasUID(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte(passwdFile), 0o644)
	b, missing, err := ReadFile(root, "/etc/passwd")
	if err != nil || missing || string(b) != passwdFile {
		t.Fatalf("ReadFile = %q, %v, %v", b, missing, err)
	}
	if !HasUID(b, 1000) || HasUID(b, 4242) {
		t.Error("HasUID is wrong")
	}
	if _, missing, err := ReadFile(root, "/etc/group"); err != nil || !missing {
		t.Errorf("a missing file: missing=%v, %v", missing, err)
	}
	// A FIFO would block urun: refused.
	if err := syscall.Mkfifo(filepath.Join(root, "etc", "group"), 0o644); err == nil {
		if _, _, err := ReadFile(root, "/etc/group"); err == nil {
			t.Error("a FIFO was read")
		}
	}
}
