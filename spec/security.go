package spec

import (
	"fmt"
	"strings"
)

// SecurityOpts are the parsed --security-opt values.
type SecurityOpts struct {
	// Seccomp is "" for the default profile, "unconfined" for none, or
	// the path of a profile file (docker's JSON format).
	Seccomp string
	// NoNewPrivileges sets no_new_privs on the command: setuid programs
	// (sudo) and file capabilities then grant nothing. Off by default, as
	// in podman.
	NoNewPrivileges bool
}

// ParseSecurityOpts parses --security-opt values in podman's and docker's
// spellings: "seccomp=unconfined", "seccomp=FILE", "no-new-privileges"
// (also "no-new-privileges=true|false" and docker's ":true"), and the label
// and apparmor options, which are accepted and ignored because urun applies
// neither SELinux nor AppArmor.
func ParseSecurityOpts(values []string) (SecurityOpts, error) {
	var so SecurityOpts
	for _, v := range values {
		key, val, hasVal := strings.Cut(v, "=")
		if !hasVal {
			key, val, hasVal = strings.Cut(v, ":")
		}
		switch key {
		case "seccomp":
			if val == "" {
				return so, fmt.Errorf("bad --security-opt %q: write seccomp=unconfined or seccomp=PROFILE.json", v)
			}
			so.Seccomp = val
		case "no-new-privileges":
			switch {
			case !hasVal, val == "true":
				so.NoNewPrivileges = true
			case val == "false":
				so.NoNewPrivileges = false
			default:
				return so, fmt.Errorf("bad --security-opt %q: write no-new-privileges or no-new-privileges=false", v)
			}
		case "label", "apparmor":
			// Neither SELinux nor AppArmor is applied; podman accepts
			// these on hosts without them too.
		default:
			return so, fmt.Errorf("unknown --security-opt %q: use seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges", v)
		}
	}
	return so, nil
}
