package seccomp

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// asm builds a classic BPF program backwards, last instruction first. Every
// jump in BPF goes forward, so when an instruction is emitted its targets
// already exist and their offsets are known; a conditional jump too far for
// its 8-bit offsets gets an unconditional jump (32-bit offset) as a
// trampoline right after it.
type asm struct {
	rev []bpf.Instruction // the program, reversed
	// rets is the latest return of each value, shared by jumps that can
	// reach it: most of a profile is "if nr == N return ALLOW".
	rets map[uint32]label
}

// label names an emitted instruction: the length of rev just after it was
// emitted. The distance from the next instruction emitted to label l is
// len(rev) - l.
type label int

// maxInsns is the kernel's BPF_MAXINSNS.
const maxInsns = 4096

func (a *asm) emit(i bpf.Instruction) label {
	a.rev = append(a.rev, i)
	return label(len(a.rev))
}

func (a *asm) dist(l label) int { return len(a.rev) - int(l) }

// ret returns a return of v: a shared one when it is near enough for the
// jumps that follow to reach without a trampoline.
func (a *asm) ret(v uint32) label {
	if l, ok := a.rets[v]; ok && a.dist(l) < 200 {
		return l
	}
	if a.rets == nil {
		a.rets = map[uint32]label{}
	}
	l := a.emit(bpf.RetConstant{Val: v})
	a.rets[v] = l
	return l
}

// load loads the 32-bit word at off of struct seccomp_data.
func (a *asm) load(off uint32) label {
	return a.emit(bpf.LoadAbsolute{Off: off, Size: 4})
}

func (a *asm) and(v uint32) label {
	return a.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: v})
}

// jump emits "if A cond k goto yes else goto no".
func (a *asm) jump(cond bpf.JumpTest, k uint32, yes, no label) label {
	if yes == no {
		// Both ways lead to the same place: no test needed. What is
		// emitted next falls through to here, so unless yes is right
		// here that takes a jump.
		if a.dist(yes) == 0 {
			return yes
		}
		return a.emit(bpf.Jump{Skip: uint32(a.dist(yes))})
	}
	if a.dist(yes) > 255 {
		yes = a.emit(bpf.Jump{Skip: uint32(a.dist(yes))})
	}
	if a.dist(no) > 255 {
		no = a.emit(bpf.Jump{Skip: uint32(a.dist(no))})
	}
	return a.emit(bpf.JumpIf{Cond: cond, Val: k, SkipTrue: uint8(a.dist(yes)), SkipFalse: uint8(a.dist(no))})
}

// program returns the instructions in program order, assembled.
func (a *asm) program() ([]bpf.RawInstruction, error) {
	if len(a.rev) > maxInsns {
		return nil, fmt.Errorf("the filter has %d instructions, more than the kernel's %d: the profile is too large", len(a.rev), maxInsns)
	}
	insns := make([]bpf.Instruction, len(a.rev))
	for i, in := range a.rev {
		insns[len(a.rev)-1-i] = in
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("assembling the filter: %w", err)
	}
	return raw, nil
}
