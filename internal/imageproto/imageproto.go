// Package imageproto owns what urun and its image helper (cmd/urun-image,
// package imagecli) share: the registry flags both parse, and `urun run
// IMAGE`'s question to the helper and its answer. It is small on purpose:
// urun imports it on every run, and the point of the helper is that urun's
// own start-up never pays for the image code (HTTP, TLS, registries,
// decompression: half of the binary, and 1.4 ms of package initialisation
// on every container's start).
package imageproto

import (
	"encoding/json"
	"fmt"
)

// RegistryFlags say where and how images are fetched (pull, run IMAGE).
type RegistryFlags struct {
	Platform  string `json:"platform,omitempty" help:"Platform to pull from a multi-arch image: OS/ARCH[/VARIANT] (default: this host's)." placeholder:"OS/ARCH[/VARIANT]"`
	TLSVerify bool   `json:"tlsVerify" name:"tls-verify" default:"true" help:"Verify the registry's TLS certificate (--tls-verify=false: plain http or unverified TLS, for a local registry)."`
}

// ResolveArg is the helper's hidden verb for `urun run IMAGE`: urun-image
// ResolveArg REQUEST-JSON. The answer is one Resolved on standard output, the
// image's in-use mark is sent on the Unix socket at MarkFd, and progress
// goes to standard error, which the helper shares with urun.
const ResolveArg = "__urun_resolve"

// MarkFd is the helper's descriptor of the socket that carries the mark.
const MarkFd = 3

// Request asks for an image to run: pulled first when Pull says so
// (missing, always, never).
type Request struct {
	Ref      string        `json:"ref"`
	Pull     string        `json:"pull"`
	Quiet    bool          `json:"quiet,omitempty"`
	Registry RegistryFlags `json:"registry"`
}

// Resolved is the image to run: its layer directories, uppermost first (the
// last is the lowest, the container's rootfs below the overlay), and the
// parts of its config that are run defaults. Error, when set, is the one
// line saying why there is none.
type Resolved struct {
	Layers       []string `json:"layers,omitempty"`
	Entrypoint   []string `json:"entrypoint,omitempty"`
	Cmd          []string `json:"cmd,omitempty"`
	Env          []string `json:"env,omitempty"`
	WorkingDir   string   `json:"workingDir,omitempty"`
	User         string   `json:"user,omitempty"`
	ExposedPorts []string `json:"exposedPorts,omitempty"`
	Error        string   `json:"error,omitempty"`
}

// ParseResolved reads the helper's answer.
func ParseResolved(b []byte) (*Resolved, error) {
	var r Resolved
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("reading the image helper's answer: %w", err)
	}
	return &r, nil
}

// Help holds the image verbs' one-line help, for urun's command list and the
// helper's own help alike; HelpVars names them for kong (help:"${help_pull}").
var Help = map[string]string{
	"import": "Unpack a rootfs tarball (docker export, mmdebstrap; gzip, xz, zstd) into a new directory, owned by your ids: 'urun import debian.tar ./debian'.",
	"pull":   "Pull an image from a registry into your image store.",
	"rmi":    "Remove images; frees the blobs and layers no other image uses.",
	"load":   "Load images from an OCI layout or a docker-archive tarball (docker save).",
}

// HelpVars returns Help as kong variables: help_NAME.
func HelpVars() map[string]string {
	v := make(map[string]string, len(Help))
	for k, h := range Help {
		v["help_"+k] = h
	}
	return v
}
