package sim

import (
	"cgsim/model"
	"cgsim/sim/explore"
)

// Dead values (explore.ReduceDead): which of a task's user-mode values its
// program can still read, worked out once from the programs.
//
// The interpreter (World.next, World.issue, World.afterCall) is the only
// reader of a task's user values, so the analysis follows what it reads:
//
//   - R[0] (the loop counter) is read by OpLoop; R[2] (the last fork's
//     pid) by a pid argument of PidLastChild; N[i] by the instructions
//     that name register i+1 (Reg, Fd, Want of WantReg, SetTidReg,
//     FdinfoNSReg). A fork reads R[0] and R[2] (it copies them for the
//     child into the kernel's frame, which the key keeps) and hands N to
//     the child, which starts at its B in the same program: what the
//     child reads of N from there, the fork reads. A register is live at
//     a pc if an instruction reachable from it reads it: the pc itself
//     (a restarted call runs it again), then along jumps, both ways of a
//     conditional and on after a call (successors, sim/symmetry.go).
//     Writes are not taken to kill a value: the analysis may keep a value
//     that is dead, never the converse.
//   - WaitStatus is read only by a result check (Check) when a wait
//     completes; a wait that reports no child leaves it as it was, so it is
//     a register like the ones above, read by every instruction with a
//     Check.
//   - Ret and Err are the last call's result, and every system call's
//     completion writes both (model: finish, FailCall, ReturnCall) before
//     anything reads them: the completion's log record and checks, then
//     the next user step, which consumes Ret into R[2] (a fork) or a named
//     register (Out, PidfdOut) and decides on Err whether to restart. So
//     with a system call in flight (R[1] = 1) both are dead; with it
//     completed (R[1] = 2) Err is live, and Ret if the instruction
//     consumes it. OpJumpIfErr reads Err (flow-insensitively, as the
//     registers above), through the user-mode instructions that complete
//     without writing it (OpSpin, OpWaitCond); nothing else reads Ret.
//
// TestDeadValuesAreNeverRead checks the result on every bundled scenario:
// two machines that differ only in values marked dead step alike.

// WithDeadValues implements explore.DeadValues: a copy of w whose state
// keys leave out the user values no later step reads. Tasks driven by Go
// code keep their own state outside the kernel's registers, so worlds with
// them are refused.
func (w *World) WithDeadValues() (explore.Model, string) {
	if w.drv != nil {
		return nil, "tasks driven by Go code (a userspace killer) read their results outside the program's registers"
	}
	c := w.CloneWorld()
	c.K.SetLiveness(w.Liveness())
	return c, ""
}

// Liveness works out which user values each program can still read at each
// pc and call state (model.Liveness).
func (w *World) Liveness() model.Liveness {
	l := make(model.Liveness, len(w.Progs))
	for p, prog := range w.Progs {
		l[p] = programLiveness(prog.Code)
	}
	return l
}

// regMask is the named registers, which a child gets a copy of.
const regMask = model.LiveN0 | model.LiveN0<<1 | model.LiveN0<<2 | model.LiveN0<<3

// programLiveness is the liveness table of one program (see Liveness).
func programLiveness(code []Instr) []model.LiveRegs {
	n := len(code)
	// regs[pc]: the registers (and WaitStatus) read from pc on;
	// errIf0[pc]: whether an OpJumpIfErr is reachable from pc. A least
	// fixpoint over the reachability graph, iterated until nothing
	// changes.
	regs := make([]model.LiveRegs, n)
	errIf0 := make([]bool, n)
	for pc, in := range code {
		regs[pc] = instrReads(in)
		errIf0[pc] = in.Op == OpJumpIfErr
	}
	for changed := true; changed; {
		changed = false
		for pc := n - 1; pc >= 0; pc-- {
			r, e := regs[pc], errIf0[pc]
			for _, s := range successors(code, int32(pc)) {
				if s >= 0 && int(s) < n {
					r |= regs[s]
					e = e || errIf0[s]
				}
			}
			if in := code[pc]; in.Op == OpFork && in.B >= 0 && int(in.B) < n {
				r |= regs[in.B] & regMask // what the child reads of its copy
			}
			if r != regs[pc] || e != errIf0[pc] {
				regs[pc], errIf0[pc], changed = r, e, true
			}
		}
	}
	out := make([]model.LiveRegs, 3*n)
	for pc, in := range code {
		live0, live1, live2 := regs[pc], regs[pc], regs[pc]
		if errIf0[pc] {
			live0 |= model.LiveErr
			live2 |= model.LiveErr
			if !in.isSyscall() {
				live1 |= model.LiveErr // no completion writes it
			}
		}
		if in.isSyscall() {
			live2 |= model.LiveErr // the restart decision
		}
		if in.Op == OpFork || in.Out > 0 || in.PidfdOut > 0 {
			live2 |= model.LiveRet
		}
		out[3*pc], out[3*pc+1], out[3*pc+2] = live0, live1, live2
	}
	return out
}

// instrReads is the set of registers the interpreter reads for in: its
// pid arguments, named registers and loop counter.
func instrReads(in Instr) model.LiveRegs {
	var r model.LiveRegs
	switch in.Op {
	case OpLoop:
		r |= model.LiveR0
	case OpFork:
		// The fork copies R[0] and R[2] into the kernel's frame at once
		// (model.CloneArgs.ChildUser), where the key keeps them.
		r |= model.LiveR0 | model.LiveR2
	}
	if in.Check != 0 {
		r |= model.LiveWaitStatus
	}
	for _, v := range []int32{in.A, in.B, in.C} {
		if v == PidLastChild {
			r |= model.LiveR2
		}
	}
	reg := func(i int8) {
		if i > 0 && int(i) <= model.NRegs {
			r |= model.LiveN(int(i) - 1)
		}
	}
	reg(in.Reg)
	reg(in.Fd)
	if in.WantKind == WantReg && in.Want >= 0 && int(in.Want) < model.NRegs {
		r |= model.LiveN(int(in.Want))
	}
	for _, i := range in.SetTidReg {
		reg(i)
	}
	for _, i := range in.FdinfoNSReg {
		reg(i)
	}
	return r
}
