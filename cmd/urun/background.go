package main

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urun-dev/urun/container"
	"github.com/urun-dev/urun/userns"

	units "github.com/docker/go-units"
	"github.com/urun-dev/urun/monitor"
	"github.com/urun-dev/urun/store"
)

// BackgroundFlags say how the container lives: its name, in the foreground
// or detached with a monitor, and what happens to it at its end.
type BackgroundFlags struct {
	Name       string `help:"Name of the container (default: a random adjective_noun), unique among yours." placeholder:"NAME"`
	Detach     bool   `short:"d" help:"Run the container in the background with a monitor and print its id (see urun ps, logs, attach, stop)."`
	Rm         bool   `help:"Remove the container when it exits (a foreground run always is; for -d)."`
	LogSizeMax string `name:"log-size-max" help:"Bound of a detached container's log (default 8MiB); the log starts again when it is full, as conmon's." placeholder:"SIZE"`
	Init       bool   `help:"Run a tiny init as PID 1 that forwards signals and reaps zombies, with the command as its child (docker's --init)."`
}

// background is the parsed BackgroundFlags.
type background struct {
	name       string
	detach, rm bool
	logSizeMax int64
	init       bool
}

func (f *BackgroundFlags) parse() (background, error) {
	b := background{name: f.Name, detach: f.Detach, rm: f.Rm, init: f.Init}
	if f.Name != "" {
		if err := store.CheckName(f.Name); err != nil {
			return b, err
		}
	}
	if f.LogSizeMax != "" {
		n, err := units.RAMInBytes(f.LogSizeMax)
		if err != nil || n < 4096 {
			return b, fmt.Errorf("invalid --log-size-max %q: give a size of at least 4KiB such as 8m or 512k", f.LogSizeMax)
		}
		if !f.Detach {
			return b, fmt.Errorf("--log-size-max is for detached containers (-d): a foreground run writes no log")
		}
		b.logSizeMax = n
	}
	if b.logSizeMax == 0 {
		b.logSizeMax = monitor.DefaultLogSizeMax
	}
	return b, nil
}

// detach starts c with a monitor and prints its id once the command runs.
// inUse (nil for a rootfs) is the image's in-use mark: the monitor holds it
// for as long as the container lives, so rmi refuses the image meanwhile.
func detach(c *container.Config, bg background, interactive bool, inUse *os.File) error {
	status := monitor.Launch(c, monitor.Options{LogSizeMax: bg.logSizeMax, Interactive: interactive, Hold: inUse})
	if status != 0 {
		return exitError(status)
	}
	fmt.Println(c.ID)
	return nil
}

// withInit makes the command the child of urun's tiny init (--init).
func withInit(s *specs.Spec, on bool) {
	if on {
		userns.WithInit(s)
	}
}
