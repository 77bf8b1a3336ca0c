//go:build !amd64

package seccomp

// native is nil where urun has no syscall table: Compile refuses.
var native *archInfo
