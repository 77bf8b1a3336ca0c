package idmap

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/urun-dev/urun/internal/hostbin"
)

// Files and helpers; variables so that a unit test of the planner can point them
// at fixtures.
var (
	SubUIDFile = "/etc/subuid"
	SubGIDFile = "/etc/subgid"
)

// kind is one of the two maps.
type kind struct {
	name   string // "uid" or "gid"
	helper string // newuidmap or newgidmap
	proc   string // uid_map or gid_map
}

var (
	uidKind = kind{"uid", "newuidmap", "uid_map"}
	gidKind = kind{"gid", "newgidmap", "gid_map"}
)

// Map is the planned map of one kind and how it will be written.
type Map struct {
	Lines  []Mapping
	helper string // path of newuidmap/newgidmap, "" to write the file directly
	k      kind
	file   string
}

// Plan of both maps for one container, made before anything is started so that
// a bad /etc/subuid stops the run before it leaves anything behind.
type Maps struct {
	UID, GID Map
	// Notice is the line to show the user when the maps fall back to a single
	// id, empty otherwise.
	Notice string
}

// Full reports whether both maps carry subordinate ranges.
func (m *Maps) Full() bool { return m.UID.helper != "" && m.GID.helper != "" }

// Same reports whether m and o write the same maps the same way (lines and
// helpers); nil is the same only as nil.
func (m *Maps) Same(o *Maps) bool {
	if m == nil || o == nil {
		return m == o
	}
	return m.UID.helper == o.UID.helper && m.GID.helper == o.GID.helper &&
		slices.Equal(m.UID.Lines, o.UID.Lines) && slices.Equal(m.GID.Lines, o.GID.Lines)
}

// PlanFor plans the maps for the calling user: container root is the user.
func PlanFor() (*Maps, error) { return planFor(false) }

// PlanKeepIDFor plans podman's --userns keep-id maps for the calling user:
// the user's uid and gid are the same inside as outside (PlanKeepID); without
// ranges only those two ids are mapped, each onto itself.
func PlanKeepIDFor() (*Maps, error) { return planFor(true) }

// planned holds planFor's results: a run plans its maps twice, once for
// the early start (before its flags are parsed) and once for its spec, and
// /etc/subuid, /etc/subgid and the user's name do not change in between.
var planned struct {
	mu   sync.Mutex
	maps map[planKey]planResult
}

type planKey struct {
	keepID         bool
	subUID, subGID string
}

type planResult struct {
	m   *Maps
	err error
}

func planFor(keepID bool) (*Maps, error) {
	k := planKey{keepID, SubUIDFile, SubGIDFile}
	planned.mu.Lock()
	defer planned.mu.Unlock()
	if r, ok := planned.maps[k]; ok {
		return r.m, r.err
	}
	m, err := readPlan(keepID)
	if planned.maps == nil {
		planned.maps = map[planKey]planResult{}
	}
	planned.maps[k] = planResult{m, err}
	return m, err
}

func readPlan(keepID bool) (*Maps, error) {
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		// Root maps the container's ids onto its own: container root is real
		// root, as with rootful runtimes, and no helper is needed.
		all := []Mapping{{0, 0, 1<<32 - 1}}
		return &Maps{UID: Map{Lines: all, k: uidKind}, GID: Map{Lines: all, k: gidKind}}, nil
	}
	name := ""
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		name = u.Username
	}
	var reasons []string
	plan := func(k kind, file string, own int) (Map, error) {
		ranges, err := ReadRanges(file, name, own)
		if err != nil {
			return Map{}, err
		}
		m := Map{k: k, file: file}
		helper, lerr := hostbin.Find(k.helper)
		switch {
		case len(ranges) == 0:
			reasons = append(reasons, fmt.Sprintf("no range for %s in %s", who(name, own), file))
		case lerr != nil:
			reasons = append(reasons, fmt.Sprintf("%s not found (install the uidmap package)", k.helper))
		default:
			m.helper = helper
			if keepID {
				m.Lines = PlanKeepID(uint32(own), ranges)
			} else {
				m.Lines = Plan(uint32(own), ranges)
			}
			return m, nil
		}
		m.Lines = []Mapping{{0, uint32(own), 1}}
		if keepID {
			m.Lines = []Mapping{{uint32(own), uint32(own), 1}}
		}
		return m, nil
	}
	u, err := plan(uidKind, SubUIDFile, uid)
	if err != nil {
		return nil, err
	}
	g, err := plan(gidKind, SubGIDFile, gid)
	if err != nil {
		return nil, err
	}
	m := &Maps{UID: u, GID: g}
	if len(reasons) > 0 {
		n := name
		if n == "" {
			n = strconv.Itoa(uid)
		}
		inside := "container root"
		if keepID {
			inside = "the same ids inside"
		}
		m.Notice = fmt.Sprintf("urun: notice: %s; mapping only your own ids (%s); for full ranges ask an admin: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s",
			dedupJoin(reasons), inside, n)
	}
	return m, nil
}

func who(name string, id int) string {
	if name == "" {
		return "uid " + strconv.Itoa(id)
	}
	return fmt.Sprintf("%s (%d)", name, id)
}

func dedupJoin(s []string) string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return strings.Join(out, ", ")
}

// Apply writes both maps for process pid. The two are independent, and each
// helper costs a fork and exec of a setuid binary, so they run side by side:
// this is most of urun's start-up time.
func (m *Maps) Apply(pid int) error {
	gidErr := make(chan error, 1)
	go func() { gidErr <- m.GID.apply(pid) }()
	uerr := m.UID.apply(pid)
	if gerr := <-gidErr; gerr != nil {
		return gerr
	}
	return uerr
}

func (m *Map) apply(pid int) error {
	if m.helper != "" {
		args := append([]string{strconv.Itoa(pid)}, helperArgs(m.Lines)...)
		cmd := exec.Command(m.helper, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			msg := strings.Join(strings.Fields(stderr.String()), " ")
			if msg == "" {
				msg = err.Error()
			}
			return fmt.Errorf("%s refused the %s map %s (ranges from %s): %s; check that %s is setuid root (reinstall the uidmap package) and that the ranges in %s are yours and do not overlap",
				m.k.helper, m.k.name, OneLine(m.Lines), m.file, msg, m.helper, m.file)
		}
		return nil
	}
	dir := "/proc/" + strconv.Itoa(pid)
	if m.k == gidKind && os.Getuid() != 0 {
		if err := os.WriteFile(dir+"/setgroups", []byte("deny"), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("denying setgroups for pid %d: %w", pid, err)
		}
	}
	if err := os.WriteFile(dir+"/"+m.k.proc, []byte(Format(m.Lines)), 0); err != nil {
		return fmt.Errorf("writing %s/%s: %w", dir, m.k.proc, err)
	}
	return nil
}

// OneLine renders a map as "0 1000 1, 1 100000 65536".
func OneLine(m []Mapping) string {
	return strings.ReplaceAll(strings.TrimSpace(Format(m)), "\n", ", ")
}
