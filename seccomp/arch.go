package seccomp

import specs "github.com/opencontainers/runtime-spec/specs-go"

// archInfo is what the compiler needs to know of the host's architecture.
type archInfo struct {
	spec  specs.Arch
	audit uint32
	names map[string]uint32
	// subABIBit marks a second ABI under the same audit arch (x32 on
	// x86_64), 0 if there is none.
	subABIBit uint32
	subABI    specs.Arch
	// compat is the 32-bit ABI the kernel also runs (i386 on x86_64).
	compat      specs.Arch
	compatAudit uint32
}

// knownArches are the architecture names a profile may list; anything
// else is a typo the user should hear about.
var knownArches = map[specs.Arch]bool{
	specs.ArchX86: true, specs.ArchX86_64: true, specs.ArchX32: true,
	specs.ArchARM: true, specs.ArchAARCH64: true, specs.ArchMIPS: true,
	specs.ArchMIPS64: true, specs.ArchMIPS64N32: true, specs.ArchMIPSEL: true,
	specs.ArchMIPSEL64: true, specs.ArchMIPSEL64N32: true, specs.ArchPPC: true,
	specs.ArchPPC64: true, specs.ArchPPC64LE: true, specs.ArchS390: true,
	specs.ArchS390X: true, specs.ArchPARISC: true, specs.ArchPARISC64: true,
	specs.ArchRISCV64: true, specs.ArchLOONGARCH64: true, specs.ArchM68K: true,
	specs.ArchSH: true, specs.ArchSHEB: true,
}
