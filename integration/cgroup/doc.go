// Package cgroup holds the integration tests of resource limits: the real urun
// binary, run as an unprivileged user against a real systemd user manager and
// a real cgroup v2 tree. They need the VM test bed (`make test-vm` builds
// this package with go test -c and runs it there as uruntest); on a host
// without cgroup v2 only the tests of the refusal run, and the rest skip with
// the reason.
package cgroup
