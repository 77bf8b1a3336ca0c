package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// maxProfile bounds a profile file: docker's default is about 20 KiB.
const maxProfile = 4 << 20

// Default is docker's and podman's default profile for a container whose
// bounding capability set is caps: an allow-list, everything else refused
// with EPERM, and the rules that depend on a capability (CAP_SYS_ADMIN for
// clone's namespace flags and mount, ...), the host's arch or its kernel
// version resolved for this container and host.
func Default(caps []string) (*specs.LinuxSeccomp, error) {
	s, err := mobyseccomp.GetDefaultProfile(capSpec(caps))
	if err != nil {
		return nil, fmt.Errorf("resolving the default seccomp profile: %w", err)
	}
	return s, nil
}

// LoadFile reads a profile file (docker's JSON format, or an OCI
// LinuxSeccomp, which is a subset of it) and resolves it as Default does.
// Errors are one line meant for the user.
func LoadFile(path string, caps []string) (*specs.LinuxSeccomp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the profile: %w", pathErr(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxProfile+1))
	if err != nil {
		return nil, fmt.Errorf("reading the profile: %w", pathErr(err))
	}
	if len(b) > maxProfile {
		return nil, fmt.Errorf("reading the profile: larger than %d bytes", maxProfile)
	}
	return Parse(b, caps)
}

// pathErr drops the path from err: the user's message names it already.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse decodes a profile in docker's JSON format (archMap, includes and
// excludes by capability, arch and minKernel) or an OCI LinuxSeccomp, and
// resolves it for a container with bounding capabilities caps. The result
// is checked by compiling it, so a profile that parses also loads.
func Parse(b []byte, caps []string) (*specs.LinuxSeccomp, error) {
	var probe struct {
		DefaultAction *specs.LinuxSeccompAction `json:"defaultAction"`
		Syscalls      []json.RawMessage         `json:"syscalls"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("decoding the profile: %s", jsonError(b, err))
	}
	for i, r := range probe.Syscalls {
		// The moby resolver would dereference a null rule.
		if string(r) == "null" {
			return nil, fmt.Errorf("decoding the profile: syscalls[%d] is null", i)
		}
	}
	if probe.DefaultAction == nil || *probe.DefaultAction == "" {
		// docker reads a profile without one as "no filter"; a file
		// given on purpose that filters nothing is more likely a mistake.
		return nil, errors.New("the profile has no defaultAction: write e.g. \"defaultAction\": \"SCMP_ACT_ERRNO\" (or use seccomp=unconfined for no filter)")
	}
	s, err := mobyseccomp.LoadProfile(string(b), capSpec(caps))
	if err != nil {
		return nil, fmt.Errorf("decoding the profile: %s", oneLine(strings.TrimPrefix(err.Error(), "Decoding seccomp profile failed: ")))
	}
	if s == nil {
		return nil, errors.New("the profile is empty")
	}
	if _, err := Compile(s); err != nil && !errors.Is(err, ErrUnsupportedArch) {
		return nil, fmt.Errorf("compiling the profile: %w", err)
	}
	return s, nil
}

// capSpec is the part of a spec the moby resolver reads: the bounding set.
func capSpec(caps []string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
}

// jsonError says where in the file a syntax error is, as a line number.
func jsonError(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset <= int64(len(b)) {
		line := 1 + strings.Count(string(b[:se.Offset]), "\n")
		return fmt.Sprintf("line %d: %v", line, err)
	}
	return oneLine(err.Error())
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
