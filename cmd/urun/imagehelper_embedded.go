//go:build urun_stage

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/urun-dev/urun/internal/imageproto"
	"github.com/urun-dev/urun/internal/imagestore"
	"github.com/urun-dev/urun/internal/stagebin"
	"github.com/urun-dev/urun/pty"
	"github.com/urun-dev/urun/userns"
	"golang.org/x/sys/unix"
)

// The image helper embedded by `make build` (stagebin.Image) runs from a
// sealed copy, as the init stage does: nothing can rewrite what it executes,
// and its own stages (unpacking layers as root of a user namespace) run
// from the same copy.

// runImageVerb replaces urun with the helper running the verb: it takes
// urun's standard streams, signals and exit status as they are.
func runImageVerb(args []string) int {
	f, err := userns.SealedEmbedded(stagebin.Image)
	if err == nil {
		path := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
		err = syscall.Exec(path, append([]string{"urun"}, args...), os.Environ())
		err = fmt.Errorf("running urun's image helper: %w", err)
	}
	report(err)
	return userns.StatusError
}

// resolveImage finds the image of `urun run IMAGE`. A stored image is read
// here, from the store (imagestore): starting the helper, a copy of 10 MB
// into a memfd and a Go runtime, would cost more than the rest of the run.
// Only a pull asks the helper, which answers on its standard output and
// sends the mark on a socket (imageproto.MarkFd); progress of the pull goes
// to urun's standard error.
func resolveImage(req imageproto.Request) (*imageproto.Resolved, *imagestore.Mark, error) {
	root, err := imagestore.DefaultRoot()
	if err != nil {
		return nil, nil, err
	}
	res, mark, needPull, err := imagestore.ResolveStored(root, req)
	if err != nil || !needPull {
		return res, mark, err
	}
	return askImageHelper(req)
}

// askImageHelper has the helper pull and resolve the image of req.
func askImageHelper(req imageproto.Request) (*imageproto.Resolved, *imagestore.Mark, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, nil, err
	}
	f, err := userns.SealedEmbedded(stagebin.Image)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair for urun's image helper: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "mark-socket"), os.NewFile(uintptr(fds[1]), "mark-socket")
	defer ours.Close()
	var out bytes.Buffer
	cmd := exec.Command("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), imageproto.ResolveArg, string(b))
	cmd.Args[0] = "urun"
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	// Become fd 3 (imageproto.MarkFd) in the helper.
	cmd.ExtraFiles = []*os.File{theirs}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("running urun's image helper: %w", err)
	}
	werr := cmd.Wait()
	// The helper is gone: its mark, when it sent one, waits on the socket.
	mark, rerr := pty.RecvFd(ours)
	res, perr := imageproto.ParseResolved(out.Bytes())
	if perr == nil && res.Error != "" {
		perr = errors.New(res.Error)
	} else if perr != nil {
		// No answer: the helper died; what it printed says why.
		perr = fmt.Errorf("urun's image helper failed (%v): %w", werr, perr)
	}
	if perr != nil {
		if rerr == nil {
			mark.Close()
		}
		return nil, nil, perr
	}
	if rerr != nil {
		return nil, nil, fmt.Errorf("receiving the image's in-use mark from urun's image helper: %w", rerr)
	}
	return res, imagestore.NewMark(mark), nil
}
