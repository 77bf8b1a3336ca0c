package main

import (
	"encoding/json"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urun-dev/urun/bundle"
	"github.com/urun-dev/urun/hooks"
	"github.com/urun-dev/urun/seccomp"
	"github.com/urun-dev/urun/spec"
)

// FeaturesCmd is `urun features`: what urun supports, as runc's and crun's
// `features`, for engines that ask before they write a config.
type FeaturesCmd struct{}

// Run prints the features JSON.
func (FeaturesCmd) Run() error {
	b, err := json.MarshalIndent(runtimeFeatures(), "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the features: %w", err)
	}
	_, err = fmt.Fprintf(os.Stdout, "%s\n", b)
	return err
}

// runtimeFeatures is built from the lists the checks and the compiler use,
// so it cannot promise what they refuse.
func runtimeFeatures() *features.Features {
	yes, no := true, false
	var hs []string
	for _, p := range hooks.Phases {
		hs = append(hs, string(p))
	}
	sc := seccomp.Arches() != nil
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         hs,
		MountOptions:  bundle.MountOptions(),
		Linux: &features.Linux{
			Namespaces:   bundle.Namespaces(),
			Capabilities: spec.CapNames,
			Cgroup: &features.Cgroup{
				// cgroup v2 only, delegated by systemd (the user
				// manager rootless, the system one as root).
				V1: &no, V2: &yes, Systemd: &yes, SystemdUser: &yes, Rdma: &no,
			},
			Seccomp: &features.Seccomp{
				Enabled:        &sc,
				Actions:        seccomp.Actions(),
				Operators:      seccomp.Operators(),
				Archs:          seccomp.Arches(),
				KnownFlags:     seccomp.Flags(),
				SupportedFlags: seccomp.Flags(),
			},
			Apparmor:        &features.Apparmor{Enabled: &no},
			Selinux:         &features.Selinux{Enabled: &no},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &no}},
		},
		Annotations: map[string]string{"dev.urun.version": version},
	}
}
