package main

import (
	"fmt"
	"strings"
)

// legacyFlags are the single-dash long flags of the teaching project urun
// grew from (`urun -rootfs ./rootfs -mem 100M -cpu 0.5 -cmd "echo hi"`,
// Go's flag package spelling), with the urun flag each one means. "" marks
// the two that are not flags here: the rootfs and the shell command.
var legacyFlags = map[string]string{
	"rootfs": "", "cmd": "",
	"mem": "--memory", "memory": "--memory", "cpu": "--cpus", "cpus": "--cpus",
	"hostname": "--hostname", "pids": "--pids-limit", "pids-limit": "--pids-limit",
}

// legacyArgs rewrites a command line in the teaching project's spelling into
// `run [FLAGS] ROOTFS /bin/sh -c CMD`, so it works as typed. It acts only when
// the line starts with -rootfs or -cmd (in either -name VALUE or -name=VALUE
// form), which no urun command line can: urun has no such short flags.
func legacyArgs(args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	if name, _, _ := strings.Cut(strings.TrimPrefix(args[0], "-"), "="); !strings.HasPrefix(args[0], "-") ||
		strings.HasPrefix(args[0], "--") || (name != "rootfs" && name != "cmd") {
		return args, nil
	}
	out := []string{"run"}
	var rootfs, cmd string
	var haveCmd bool
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		long, known := legacyFlags[name]
		if !strings.HasPrefix(a, "-") || !known {
			return nil, fmt.Errorf("%q: in the -rootfs/-cmd form only -rootfs, -cmd, -mem, -cpu, -hostname and -pids are understood; or use urun's own form: urun run [FLAGS] ROOTFS CMD", a)
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s needs a value", a)
			}
			i++
			val = args[i]
		}
		switch name {
		case "rootfs":
			rootfs = val
		case "cmd":
			cmd, haveCmd = val, true
		default:
			out = append(out, long+"="+val)
		}
	}
	if rootfs == "" {
		return nil, fmt.Errorf("-cmd needs -rootfs DIR too: the directory to use as the container's root file system")
	}
	out = append(out, "--", rootfs)
	if haveCmd {
		out = append(out, "/bin/sh", "-c", cmd)
	}
	return out, nil
}
