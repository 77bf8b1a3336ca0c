// Package state owns a run's scratch directory: the files urun writes for the
// container before it starts (its hosts, resolv.conf, keep-id's passwd),
// which the init stage bind-mounts and which are removed as soon as the
// container is set up (the bind mounts keep the files alive). It lives inside
// the container's directory in the store (package store), which finds and
// collects what a killed run left; this package only makes and removes it.
package state
