// Package imagecli owns urun's image verbs that write: pull, rmi, load and
// import, and the resolution of `urun run IMAGE` (Resolve). It runs in the
// image helper (cmd/urun-image), which `make build` embeds into urun and urun
// executes for those verbs, or, in a build without it, inside urun itself.
// Keeping it out of urun's own binary keeps every container's start-up
// free of the HTTP, TLS, registry and decompression code it never uses
// (package imageproto says what that costs).
package imagecli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/alecthomas/kong"
	"github.com/urun-dev/urun/internal/cliexit"
	"github.com/urun-dev/urun/internal/imageproto"
	"github.com/urun-dev/urun/pty"
)

// CLI is the image verbs' command line, named as in urun's own.
type CLI struct {
	Import  ImportCmd  `cmd:"" help:"${help_import}"`
	Pull    PullCmd    `cmd:"" help:"${help_pull}"`
	Rmi     RmiCmd     `cmd:"" help:"${help_rmi}"`
	Load    LoadCmd    `cmd:"" help:"${help_load}"`
	Resolve ResolveCmd `cmd:"" name:"__urun_resolve" hidden:""`
}

// statusError is urun's status for its own errors.
const statusError = 125

// Main runs the image verb in args (["pull", "busybox"]: urun's arguments
// from the verb on) and returns the exit status: errors are urun's one line
// on standard error and status 125.
func Main(args []string) (status int) {
	var cli CLI
	parser, err := kong.New(&cli,
		kong.Name("urun"),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.WithHyphenPrefixedParameters(true),
		kong.Vars(imageproto.HelpVars()),
		cliexit.Option())
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v\n", err)
		return statusError
	}
	defer cliexit.Recover(&status)
	ctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v; see 'urun --help'\n", err)
		return statusError
	}
	err = ctx.Run()
	if s, ok := cliexit.Of(err); ok {
		return s
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "urun: %v\n", err)
		return statusError
	}
	return 0
}

// ResolveCmd is the helper's side of `urun run IMAGE`
// (imageproto.ResolveArg): it answers on standard output and sends the
// mark on the socket at imageproto.MarkFd.
type ResolveCmd struct {
	Request string `arg:""`
}

// Run resolves the request. Its errors are the answer's, for urun to report.
func (c *ResolveCmd) Run() error {
	var req imageproto.Request
	var res *imageproto.Resolved
	var mark *os.File
	err := json.Unmarshal([]byte(c.Request), &req)
	if err == nil {
		res, mark, err = Resolve(req)
	}
	if err == nil {
		sock := os.NewFile(imageproto.MarkFd, "mark-socket")
		err = pty.SendFd(sock, mark)
		mark.Close()
		sock.Close()
		if err != nil {
			err = fmt.Errorf("handing urun the image's in-use mark: %w", err)
		}
	}
	if err != nil {
		res = &imageproto.Resolved{Error: err.Error()}
	}
	b, jerr := json.Marshal(res)
	if jerr != nil {
		return jerr
	}
	if _, werr := os.Stdout.Write(append(b, '\n')); werr != nil {
		return werr
	}
	if err != nil {
		return cliexit.Status(statusError)
	}
	return nil
}
