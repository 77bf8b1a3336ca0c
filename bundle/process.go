package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// maxProcessSize bounds a process file (`exec --process`): engines write a
// few kilobytes of args, env and capabilities.
const maxProcessSize = 4 << 20

// LoadProcess reads the process file of `exec --process FILE` (a spec's
// process object on its own, as conmon and containerd's shim write it) and
// checks it as config.json's process is checked. Every error is one line
// naming the file (and, for bad JSON, the line:column). debug receives a
// line for each field urun ignores (nil drops them).
func LoadProcess(name string, debug func(format string, args ...any)) (*specs.Process, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("process file %s: %w", name, pathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("process file %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("process file %s is not a regular file", name)
	}
	// A file that grows while it is read is cut at the bound, not read
	// whole: the decoder then names the truncation.
	b, err := io.ReadAll(io.LimitReader(f, maxProcessSize+1))
	if err != nil {
		return nil, fmt.Errorf("process file %s: %w", name, pathErr(err))
	}
	if len(b) > maxProcessSize {
		return nil, fmt.Errorf("process file %s is over %d bytes: at most that is read", name, maxProcessSize)
	}
	return ParseProcess(name, b, debug)
}

// ParseProcess decodes and checks a process object; name is used in
// messages.
func ParseProcess(name string, b []byte, debug func(format string, args ...any)) (*specs.Process, error) {
	var p *specs.Process
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("process file %s: %s: fix the JSON", name, jsonError(b, err))
	}
	if p == nil {
		return nil, fmt.Errorf("process file %s holds null, not a process object: write the process as in config.json's \"process\"", name)
	}
	if len(p.Args) == 0 {
		// commandLine is Windows's; exec on Linux needs args.
		return nil, fmt.Errorf("process file %s: args is empty: name the command to run", name)
	}
	if err := checkProcess(p); err != nil {
		return nil, fmt.Errorf("process file %s: %w", name, err)
	}
	if debug != nil {
		if p.ApparmorProfile != "" {
			debug("ignoring process.apparmorProfile %q: urun has no AppArmor support", oneLine(p.ApparmorProfile))
		}
		if p.SelinuxLabel != "" {
			debug("ignoring process.selinuxLabel %q: urun has no SELinux support", oneLine(p.SelinuxLabel))
		}
	}
	return p, nil
}
