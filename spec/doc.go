// Package spec turns user input (flag values) into the OCI runtime spec that the
// runtime consumes, and holds the parsers for those values (environment entries,
// hostnames, work directories). Every parser here has a fuzz target.
package spec
