package spec

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/seccomp"
)

// Seccomp is the container's seccomp configuration for --security-opt
// seccomp=VALUE: "" the default profile, "unconfined" none (nil), anything
// else a profile file. Both profiles are resolved for the bounding set caps.
func Seccomp(value string, caps []string) (*specs.LinuxSeccomp, error) {
	switch value {
	case "unconfined":
		return nil, nil
	case "":
		return seccomp.Default(caps)
	}
	s, err := seccomp.LoadFile(value, caps)
	if err != nil {
		return nil, fmt.Errorf("--security-opt seccomp=%s: %w", value, err)
	}
	return s, nil
}
