package container

import (
	"fmt"
	"os"
	"time"

	"github.com/urun-dev/urun/store"
)

// register is the run's first step on the host: it reserves the name and
// writes the container's record (status created) with the spec as urun runs
// it, so that ps, inspect and exec see foreground and detached containers
// alike. A foreground run removes its record when it ends (it is --rm by
// nature); one killed before that is collected by the next List.
func (r *run) register() error {
	c := r.c
	st, err := store.Open(c.StoreRoot)
	if err != nil {
		return err
	}
	self, err := store.StartTime(os.Getpid())
	if err != nil {
		return fmt.Errorf("reading urun's own start time: %w", err)
	}
	rec := &store.Record{
		ID: c.ID, Name: c.Name, Status: store.Created,
		MonitorPid: os.Getpid(), MonitorStart: self,
		Rootfs: c.Spec.Root.Path, Command: c.Spec.Process.Args,
		Limits: (*store.Resources)(c.Spec.Linux.Resources), Detached: c.Detached,
		TTY: c.Spec.Process.Terminal, Hostname: c.Spec.Hostname, AutoRemove: c.AutoRemove,
	}
	if c.OCI != nil {
		rec.Bundle, rec.Annotations = c.OCI.Bundle, c.Spec.Annotations
	}
	for _, p := range c.Network.Publish {
		rec.Ports = append(rec.Ports, fmt.Sprintf("%s:%d->%d/%s", p.HostIP, p.HostPort, p.ContainerPort, p.Protocol))
	}
	if err := st.Create(rec); err != nil {
		return err
	}
	r.store, r.rec = st, rec
	if !c.Detached {
		r.deferNamed("store record removed", func() { _ = st.Remove(c.ID) })
	}
	if err := st.WriteSpec(c.ID, c.Spec); err != nil {
		return err
	}
	return r.sup.Registered(st.Dir(c.ID))
}

// running records that the command runs: its pid (with start time, against
// pid reuse) and its scope, which exec joins.
func (r *run) running() error {
	pid := r.proc.PID
	start, err := store.StartTime(pid)
	if err != nil {
		return fmt.Errorf("reading the container's start time: %w", err)
	}
	cg := ""
	if r.scope != nil {
		cg = r.scope.Path()
	}
	_, err = r.store.Update(r.c.ID, func(rec *store.Record) error {
		now := time.Now()
		rec.Status, rec.Pid, rec.PidStart, rec.Started, rec.CgroupPath = store.Running, pid, start, &now, cg
		return nil
	})
	return err
}
