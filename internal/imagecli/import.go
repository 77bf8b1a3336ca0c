package imagecli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	units "github.com/docker/go-units"
	"github.com/urun-dev/urun/archive"
	"golang.org/x/term"
)

// ImportCmd is `urun import TARBALL|- DIR`.
type ImportCmd struct {
	Force bool `help:"Unpack into DIR even if it is not empty (entries of the tarball replace what is there)."`
	Quiet bool `short:"q" help:"No progress and no summary line."`

	Tarball string `arg:"" help:"The rootfs tarball (plain, gzip, xz, zstd or bzip2); - reads standard input."`
	Dir     string `arg:"" help:"The directory to unpack into: created if missing, else it must be empty."`
}

// Run unpacks the tarball into the directory as root of a user namespace
// with your subordinate ids mapped; on failure nothing is left.
func (c *ImportCmd) Run() error {
	in, name, err := c.open()
	if err != nil {
		return err
	}
	defer in.Close()
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return err
	}
	created, wasEmpty, err := c.prepare(dir)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	cr := &countingReader{r: in}
	stopProgress := func() {}
	if !c.Quiet && term.IsTerminal(int(os.Stderr.Fd())) {
		var size int64
		if f, ok := in.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				size = st.Size()
			}
		}
		stopProgress = progress(cr, size)
	}
	st, err := archive.UnpackRootless(ctx, cr, dir, archive.Flat)
	stopProgress()
	if err != nil {
		what := fmt.Sprintf("import of %s into %s failed", name, c.Dir)
		if ctx.Err() != nil {
			what = fmt.Sprintf("import of %s into %s interrupted", name, c.Dir)
			err = nil
		}
		left := c.undo(dir, created, wasEmpty)
		if err != nil {
			what += ": " + err.Error()
		}
		return fmt.Errorf("%s; %s", what, left)
	}
	if !c.Quiet {
		fmt.Printf("imported %s into %s: %d files, %d directories, %d links, %s", name, c.Dir, st.Files, st.Dirs, st.Symlinks+st.Hardlinks, units.HumanSize(float64(st.Bytes)))
		if st.DevicesSkipped > 0 {
			fmt.Printf("; %d device nodes skipped (urun makes /dev)", st.DevicesSkipped)
		}
		fmt.Println()
	}
	return nil
}

func (c *ImportCmd) open() (io.ReadCloser, string, error) {
	if c.Tarball == "-" {
		return io.NopCloser(os.Stdin), "standard input", nil
	}
	f, err := os.Open(c.Tarball)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the tarball %s: %w", c.Tarball, unwrapPathErr(err))
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, "", fmt.Errorf("%s is a directory; give a tarball (or - for standard input)", c.Tarball)
	}
	return f, c.Tarball, nil
}

// prepare makes dir, or checks that it is an empty directory (or --force).
func (c *ImportCmd) prepare(dir string) (created, wasEmpty bool, err error) {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return false, false, fmt.Errorf("cannot create %s: %w; create its parent directory first", c.Dir, unwrapPathErr(err))
		}
		return true, true, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("cannot use %s: %w", c.Dir, unwrapPathErr(err))
	}
	if !st.IsDir() {
		return false, false, fmt.Errorf("%s is not a directory; give a new or empty directory to unpack into", c.Dir)
	}
	f, err := os.Open(dir)
	if err != nil {
		return false, false, fmt.Errorf("cannot read %s: %w", c.Dir, unwrapPathErr(err))
	}
	names, _ := f.Readdirnames(1)
	f.Close()
	if len(names) > 0 && !c.Force {
		return false, false, fmt.Errorf("%s is not empty; give a new or empty directory, or --force to unpack over what is there", c.Dir)
	}
	return false, len(names) == 0, nil
}

// undo removes what a failed import wrote, as root of the user namespace:
// the files belong to subordinate ids. It says what is left.
func (c *ImportCmd) undo(dir string, created, wasEmpty bool) string {
	if !created && !wasEmpty {
		return fmt.Sprintf("%s may hold part of the tarball now (it was not empty); remove it with: urun unshare rm -rf %s", c.Dir, c.Dir)
	}
	if err := archive.RemoveRootless(context.Background(), dir); err != nil {
		return fmt.Sprintf("removing the partial %s failed too (%v); remove it with: urun unshare rm -rf %s", c.Dir, err, c.Dir)
	}
	if created {
		return fmt.Sprintf("%s removed", c.Dir)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Sprintf("%s emptied, but not made again: %v", c.Dir, err)
	}
	return fmt.Sprintf("%s is empty again", c.Dir)
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// countingReader counts the bytes read, for the progress line.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progress shows the bytes read so far (of size, when known) on the
// terminal, rewriting one line, until the returned stop is called (which
// clears the line).
func progress(cr *countingReader, size int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(os.Stderr, "\r\033[K")
				return
			case <-tick.C:
				n := cr.n.Load()
				if size > 0 {
					fmt.Fprintf(os.Stderr, "\r\033[Kurun: importing: %s of %s (%d%%)", units.HumanSize(float64(n)), units.HumanSize(float64(size)), n*100/size)
				} else {
					fmt.Fprintf(os.Stderr, "\r\033[Kurun: importing: %s read", units.HumanSize(float64(n)))
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
