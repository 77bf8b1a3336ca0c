package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

//go:generate ./mksysnum.sh

// native is the architecture whose syscalls the filter checks by number.
var native = &archInfo{
	spec:  specs.ArchX86_64,
	audit: unix.AUDIT_ARCH_X86_64,
	names: sysnumAMD64,
	// The x32 ABI shares AUDIT_ARCH_X86_64 and sets this bit in the
	// syscall number; its numbers differ from x86_64's.
	subABIBit: 0x40000000,
	subABI:    specs.ArchX32,
	// 32-bit x86 programs run on x86_64 kernels with their own numbers.
	compat:      specs.ArchX86,
	compatAudit: unix.AUDIT_ARCH_I386,
}
