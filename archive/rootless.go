package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/urun-dev/urun/idmap"
	"github.com/urun-dev/urun/userns"
	"golang.org/x/sys/unix"
)

// Helper stage names (userns.RegisterHelper).
const (
	unpackStageName = "unpack"
	removeStageName = "remove"
)

func init() {
	userns.RegisterHelper(unpackStageName, unpackStage)
	userns.RegisterHelper(removeStageName, removeStage)
}

// result is the stage's report on its result pipe.
type result struct {
	Stats Stats  `json:"stats"`
	Error string `json:"error,omitempty"`
}

// UnpackRootless unpacks the tar stream r (plain, gzip, xz, zstd or bzip2)
// into the existing directory dir as root of a new user namespace with the
// calling user's subordinate ranges mapped (idmap.PlanFor, as `urun run`),
// so that the tarball's uid 0 becomes the user and uid N the user's Nth
// subordinate id. It returns the counts, or a one-line error. Cancelling ctx
// kills the stage. On an error dir holds part of the tarball: remove it with
// RemoveRootless.
func UnpackRootless(ctx context.Context, r io.Reader, dir string, mode Mode) (Stats, error) {
	maps, err := idmap.PlanFor()
	if err != nil {
		return Stats{}, err
	}
	d, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return Stats{}, fmt.Errorf("opening the target directory: %w", err)
	}
	defer d.Close()
	var st Stats
	err = runStage(ctx, unpackStageName, []string{mode.String()}, r, []*os.File{d}, maps, &st)
	return st, err
}

// RemoveRootless removes dir and everything below it as root of a user
// namespace with the user's ranges mapped: the files a container or an
// unpack made as other ids belong to the user's subordinate ids, which the
// user cannot remove on the host.
func RemoveRootless(ctx context.Context, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	parentName, base := filepath.Split(abs)
	if base == "" || base == "." || base == ".." {
		return fmt.Errorf("refusing to remove %s", dir)
	}
	maps, err := idmap.PlanFor()
	if err != nil {
		return err
	}
	parent, err := os.OpenFile(parentName, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("opening the directory of %s: %w", dir, err)
	}
	defer parent.Close()
	return runStage(ctx, removeStageName, []string{base}, nil, []*os.File{parent}, maps, nil)
}

// runStage starts a helper stage with in as its stdin and files as its fds
// FdHelperExtra..., plus the result pipe after them, and decodes its report.
func runStage(ctx context.Context, name string, args []string, in io.Reader, files []*os.File, maps *idmap.Maps, st *Stats) error {
	resR, resW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("making the %s stage's result pipe: %w", name, err)
	}
	defer resR.Close()
	var inR, inW *os.File
	if in != nil {
		if inR, inW, err = os.Pipe(); err != nil {
			resW.Close()
			return fmt.Errorf("making the %s stage's input pipe: %w", name, err)
		}
		defer inW.Close()
		// A larger pipe means fewer trips between the copy and the stage
		// (best effort: the default is 64 KiB).
		_, _ = unix.FcntlInt(inW.Fd(), unix.F_SETPIPE_SZ, 1<<20)
	}
	var stderr bytes.Buffer
	// Pdeathsig follows the thread that started the stage: keep it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	o := userns.HelperOptions{
		Name: name, Args: args, Stderr: &limited{b: &stderr, n: 4096},
		ExtraFiles: append(append([]*os.File{}, files...), resW), Maps: maps,
	}
	if inR != nil {
		o.Stdin = inR
	}
	cmd, err := userns.StartHelper(o)
	resW.Close()
	if inR != nil {
		inR.Close()
	}
	if err != nil {
		return err
	}
	copyErr := make(chan error, 1)
	if in != nil {
		go func() {
			_, err := io.Copy(inW, in)
			inW.Close()
			copyErr <- err
		}()
	}
	report := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(resR, 1<<20))
		report <- b
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-waited:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-waited
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	b := <-report
	var res result
	if len(b) > 0 {
		if err := json.Unmarshal(b, &res); err != nil {
			return fmt.Errorf("urun's %s stage sent a malformed report (%d bytes)", name, len(b))
		}
	}
	if st != nil {
		*st = res.Stats
	}
	if res.Error != "" {
		// A tarball that could not be read looks truncated to the stage:
		// say why it ended.
		if in != nil {
			select {
			case err := <-copyErr:
				if err != nil && !errors.Is(err, unix.EPIPE) {
					return fmt.Errorf("reading the tarball: %w", err)
				}
			default:
			}
		}
		return errors.New(res.Error)
	}
	if werr != nil || len(b) == 0 {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg == "" && werr != nil {
			msg = werr.Error()
		}
		return fmt.Errorf("urun's %s stage failed: %s", name, msg)
	}
	if in != nil {
		select {
		case err := <-copyErr:
			if err != nil {
				return fmt.Errorf("reading the tarball: %w", err)
			}
		default:
			// The stage read the end of the tar stream; what follows
			// it (padding) is not needed.
		}
	}
	return nil
}

// limited keeps the first n bytes written to it.
type limited struct {
	b *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func report(res result, code int) {
	f := os.NewFile(userns.FdHelperExtra+1, "result")
	b, _ := json.Marshal(res)
	_, _ = f.Write(b)
	f.Close()
	os.Exit(code)
}

// unpackStage runs in the user namespace: fd FdHelperExtra is the target
// directory, stdin the tarball.
func unpackStage(args []string) {
	if len(args) != 1 {
		report(result{Error: "the unpack stage needs its mode"}, 1)
	}
	mode, err := ParseMode(args[0])
	if err != nil {
		report(result{Error: err.Error()}, 1)
	}
	dir := os.NewFile(userns.FdHelperExtra, "target")
	st, err := Unpack(os.Stdin, dir, mode)
	if err != nil {
		report(result{Stats: st, Error: err.Error()}, 1)
	}
	report(result{Stats: st}, 0)
}

// removeStage runs in the user namespace: fd FdHelperExtra is the parent
// directory of the tree args[0] to remove.
func removeStage(args []string) {
	parent := os.NewFile(userns.FdHelperExtra, "parent")
	if len(args) != 1 || strings.Contains(args[0], "/") {
		report(result{Error: "the remove stage needs one name"}, 1)
	}
	if err := removeAt(parent, args[0]); err != nil {
		report(result{Error: err.Error()}, 1)
	}
	report(result{}, 0)
}
