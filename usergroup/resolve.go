package usergroup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// User is the resolved container user.
type User struct {
	UID, GID       uint32
	AdditionalGids []uint32
	// Name is the passwd entry's name, "" when the uid has none.
	Name string
	// Home is the passwd entry's home, "/" when there is none (runc's
	// default).
	Home string
}

// maxFile bounds how much of /etc/passwd or /etc/group is read: a hostile
// rootfs could make it a FIFO or a huge file.
const maxFile = 16 << 20

// Lookup resolves a parsed -u value against the passwd and group entries
// (nil slices: the file is missing), and adds the --group-add values. It is
// runc's GetExecUser plus GetAdditionalGroups.
func Lookup(s Spec, groupAdd []string, passwd []Passwd, groups []Group, passwdMissing, groupMissing bool) (*User, error) {
	u := &User{Home: "/"}
	var matched *Passwd
	if isNumeric(s.User) {
		uid, err := parseID(s.User)
		if err != nil {
			return nil, fmt.Errorf("bad --user %q: %w", s.User, err)
		}
		u.UID = uid
		for i := range passwd {
			if passwd[i].UID == uid {
				matched = &passwd[i]
				break
			}
		}
	} else {
		for i := range passwd {
			if passwd[i].Name == s.User {
				matched = &passwd[i]
				break
			}
		}
		if matched == nil {
			if passwdMissing {
				return nil, fmt.Errorf("user %q: the container has no /etc/passwd; give a numeric uid such as -u 1000:1000", s.User)
			}
			return nil, fmt.Errorf("user %q is not in the container's /etc/passwd; add it there or give a numeric uid such as -u 1000:1000", s.User)
		}
	}
	if matched != nil {
		u.UID, u.GID, u.Name = matched.UID, matched.GID, matched.Name
		if matched.Home != "" {
			u.Home = matched.Home
		}
	}
	if s.Group != "" {
		g, err := lookupGroup(s.Group, groups, groupMissing, "--user")
		if err != nil {
			return nil, err
		}
		u.GID = g
	} else if u.Name != "" {
		// Supplementary groups come from membership only in the implicit
		// form, as in runc: a named group replaces them.
		for _, g := range groups {
			for _, m := range g.Members {
				if m == u.Name {
					u.AdditionalGids = appendNew(u.AdditionalGids, g.GID)
					break
				}
			}
		}
	}
	for _, a := range groupAdd {
		if err := checkName(a); err != nil || a == "" {
			if err == nil {
				err = errors.New("it is empty")
			}
			return nil, fmt.Errorf("bad --group-add %q: %w", a, err)
		}
		g, err := lookupGroup(a, groups, groupMissing, "--group-add")
		if err != nil {
			return nil, err
		}
		u.AdditionalGids = appendNew(u.AdditionalGids, g)
	}
	return u, nil
}

func lookupGroup(name string, groups []Group, missing bool, flag string) (uint32, error) {
	if isNumeric(name) {
		gid, err := parseID(name)
		if err != nil {
			return 0, fmt.Errorf("bad %s group %q: %w", flag, name, err)
		}
		return gid, nil
	}
	for _, g := range groups {
		if g.Name == name {
			return g.GID, nil
		}
	}
	if missing {
		return 0, fmt.Errorf("group %q (%s): the container has no /etc/group; give a numeric gid", name, flag)
	}
	return 0, fmt.Errorf("group %q (%s) is not in the container's /etc/group; add it there or give a numeric gid", name, flag)
}

func appendNew(s []uint32, v uint32) []uint32 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// Resolve resolves a -u value and --group-add values against the files of
// rootfs. The files are opened inside the rootfs: a symlink in them is
// followed as if the rootfs were /, never to the host.
func Resolve(rootfs string, user string, groupAdd []string) (*User, error) {
	s, err := ParseSpec(user)
	if err != nil {
		return nil, err
	}
	var passwd []Passwd
	var groups []Group
	pm, err := readInRoot(rootfs, "/etc/passwd", func(r io.Reader) (err error) {
		passwd, err = ParsePasswd(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	gm, err := readInRoot(rootfs, "/etc/group", func(r io.Reader) (err error) {
		groups, err = ParseGroup(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return Lookup(s, groupAdd, passwd, groups, pm, gm)
}

// ResolveID is Resolve for a numeric uid and gid (keep-id's default user):
// the passwd entry, if any, gives the name, home and groups.
func ResolveID(rootfs string, uid, gid uint32) (*User, error) {
	return Resolve(rootfs, strconv.FormatUint(uint64(uid), 10)+":"+strconv.FormatUint(uint64(gid), 10), nil)
}

// readInRoot opens name inside rootfs and hands its content to parse. A
// missing file is reported as missing (true), not as an error: a rootfs
// without /etc/passwd still runs numeric users.
func readInRoot(rootfs, name string, parse func(io.Reader) error) (missing bool, err error) {
	h, err := pathrs.OpenInRoot(rootfs, name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("opening %s in the rootfs %s: %w", name, rootfs, err)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return false, fmt.Errorf("checking %s in the rootfs %s: %w", name, rootfs, err)
	}
	// A FIFO or device would block or feed urun without end.
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false, fmt.Errorf("%s in the rootfs %s is not a regular file; the container's users cannot be looked up", name, rootfs)
	}
	f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return false, fmt.Errorf("reading %s in the rootfs %s: %w", name, rootfs, err)
	}
	defer f.Close()
	if err := parse(io.LimitReader(f, maxFile)); err != nil {
		return false, fmt.Errorf("reading %s in the rootfs %s: %w", name, rootfs, err)
	}
	return false, nil
}

// ReadFile reads a file of the rootfs (such as /etc/passwd) inside it, as
// Resolve does; missing says there is no such file.
func ReadFile(rootfs, name string) (b []byte, missing bool, err error) {
	missing, err = readInRoot(rootfs, name, func(r io.Reader) (err error) {
		b, err = io.ReadAll(r)
		return err
	})
	return b, missing, err
}

// HasUID reports whether passwd (the file's content) has an entry for uid.
func HasUID(passwd []byte, uid uint32) bool {
	p, _ := ParsePasswd(bytes.NewReader(passwd))
	for _, e := range p {
		if e.UID == uid {
			return true
		}
	}
	return false
}
