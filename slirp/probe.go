package slirp

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/urun-dev/urun/internal/hostbin"
)

// Binary is the program Start runs, looked up in $PATH.
const Binary = "slirp4netns"

// ErrNotInstalled is returned (wrapped) when slirp4netns is not in $PATH.
// The CLI falls back to --network none for the default network and refuses
// an explicit --network slirp4netns with this message.
var ErrNotInstalled = errors.New("slirp4netns is not installed: run `apt-get install slirp4netns` or use --network none")

// Features says which options the installed slirp4netns has. Options came
// with different releases (--enable-sandbox 0.4, --cidr 0.3, ...), and
// Debian stable may lag behind, so urun asks instead of assuming.
type Features struct {
	// Path is the resolved slirp4netns binary.
	Path                string
	Configure           bool
	ExitFD              bool
	ReadyFD             bool
	MTU                 bool
	CIDR                bool
	DisableHostLoopback bool
	APISocket           bool
	EnableSandbox       bool
	EnableSeccomp       bool
	EnableIPv6          bool
	OutboundAddr        bool
	OutboundAddr6       bool
}

var (
	probeOnce sync.Once
	probeRes  Features
	probeErr  error
)

// Probe runs `slirp4netns --help` once per process and reports which options
// it has. The result (or the error, ErrNotInstalled when the binary is
// missing) is cached: one run costs a fork and exec, and the answer does not
// change while urun runs.
func Probe() (Features, error) {
	probeOnce.Do(func() { probeRes, probeErr = probe(Binary) })
	return probeRes, probeErr
}

// LookPath finds slirp4netns in $PATH without running it: the cheap check
// the CLI makes to choose the default network. The error wraps
// ErrNotInstalled.
func LookPath() (string, error) { return lookPath(Binary) }

func lookPath(bin string) (string, error) {
	path, err := hostbin.Find(bin)
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNotInstalled, err)
	}
	return path, nil
}

func probe(bin string) (Features, error) {
	path, err := lookPath(bin)
	if err != nil {
		return Features{}, err
	}
	// Old releases print the usage to stderr and exit 1 for --help; the
	// text is what matters, so the exit status is not.
	out, runErr := exec.Command(path, "--help").CombinedOutput()
	if len(out) == 0 {
		return Features{}, fmt.Errorf("probing %s --help: %v: no output", path, runErr)
	}
	return parseHelp(path, string(out)), nil
}

// parseHelp reads the option names from slirp4netns's usage text.
func parseHelp(path, help string) Features {
	has := func(opt string) bool {
		// An option is listed as "--name=ARG", "--name " or "--name\n";
		// checking the character after the name keeps --outbound-addr
		// from matching --outbound-addr6.
		for i := 0; ; {
			j := strings.Index(help[i:], opt)
			if j < 0 {
				return false
			}
			k := i + j + len(opt)
			if k == len(help) || strings.ContainsRune("= \t\n,[", rune(help[k])) {
				return true
			}
			i = k
		}
	}
	return Features{
		Path:                path,
		Configure:           has("--configure"),
		ExitFD:              has("--exit-fd"),
		ReadyFD:             has("--ready-fd"),
		MTU:                 has("--mtu"),
		CIDR:                has("--cidr"),
		DisableHostLoopback: has("--disable-host-loopback"),
		APISocket:           has("--api-socket"),
		EnableSandbox:       has("--enable-sandbox"),
		EnableSeccomp:       has("--enable-seccomp"),
		EnableIPv6:          has("--enable-ipv6"),
		OutboundAddr:        has("--outbound-addr"),
		OutboundAddr6:       has("--outbound-addr6"),
	}
}
