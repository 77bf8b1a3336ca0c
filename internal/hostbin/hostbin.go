// Package hostbin finds the host programs urun runs (newuidmap, newgidmap,
// slirp4netns, nsenter): in PATH first, as the user may point at another
// build, else where distributions install them. A PATH that is unset or empty
// (env -i, cron, some CI runners) must not silently cost the user a feature.
package hostbin

import (
	"os"
	"os/exec"
	"path/filepath"
)

// Dirs are searched, in order, when PATH does not have the program (Debian's
// and Fedora's packages put them in /usr/bin).
var Dirs = []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin"}

// Find returns the path of the program name, or exec.LookPath's error.
func Find(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, d := range Dirs {
		if st, serr := os.Stat(filepath.Join(d, name)); serr == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return filepath.Join(d, name), nil
		}
	}
	return "", err
}
