package sim

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"

	"cgsim/model"
	"cgsim/sim/explore"
)

// Symmetry reduction (explore.ReduceSymmetry) for worlds.
//
// The interchangeable tasks are found in the initial state: tasks created
// at setup with the same program at the same instruction, the same parent
// and the same state (model.Kernel.SymmetrySignature without their places
// in lists), which no instruction, property or gate names. A class of them
// can be renamed at will (model.Kernel.Renamed): a state and its renaming
// step alike, given that nothing outside the kernel's tables holds their
// ids or pid numbers. What the world must rule out for that
// (symmetryBlocker):
//
//   - tasks driven by Go code (userspace killers): they keep pids in Go
//     state the renaming cannot reach;
//   - instructions that store or compare a pid: named registers (as:,
//     pidfd:), wait/waitid (their return value is a child's pid),
//     getpid and friends, setsid (it returns the caller's pid), clone3 set_tid, pidfds, pid literals in kill,
//     setpgid and cgroup.procs/cgroup.threads writes, reads of those files
//     (their text holds pids, which expectations compare); exec (de_thread
//     exchanges pid numbers between a thread and its leader) and OOM (the
//     victim is chosen among equal badness by task order);
//   - pid reuse: a renaming of pid numbers is a symmetry only while no
//     number is freed and handed out again, which takes a wrap of the
//     cursor. The search is allowed only when the programs cannot fork
//     more tasks than the smallest headroom of a namespace
//     (model.Kernel.PidHeadroom): no fork on a loop of a program, and the
//     bound on the forks of the loop-free rest below it.
//
// A gate (World.Gate) must not tell the tasks of a class apart: KillGate,
// the only one the project has, looks at a label's record count and at
// whether a task's fork committed, which a renaming keeps.

// Symmetry implements explore.Symmetric.
func (w *World) Symmetry() (func(c, scratch explore.Model) explore.Model, string) {
	classes, why := w.SymmetryClasses()
	if why != "" {
		return nil, why
	}
	member := make([]bool, w.K.NumTasks())
	for _, c := range classes {
		for _, t := range c {
			member[t] = true
		}
	}
	sc := &symCanon{classes: classes, member: member, progs: w.sameProgs()}
	return sc.canonical, ""
}

// AsWorld returns w: the canonicalizer reaches the world through it, also
// inside a model that embeds one (a test's recording wrapper).
func (w *World) AsWorld() *World { return w }

// SymmetryClasses returns the classes of interchangeable tasks of the
// initial state w, each in ascending order, or why symmetry reduction
// cannot be used on this world.
func (w *World) SymmetryClasses() ([][]model.TaskID, string) {
	if w.drv != nil {
		return nil, "tasks driven by Go code (a userspace killer) keep pids outside the kernel"
	}
	for p, prog := range w.Progs {
		for pc, in := range prog.Code {
			if why := symmetryBlocker(in); why != "" {
				return nil, fmt.Sprintf("program %s, instruction %d: %s", w.progName(int32(p)), pc, why)
			}
		}
	}
	k := w.K
	// Named tasks stay put.
	named := make([]bool, k.NumTasks())
	for _, prog := range w.Progs {
		for _, in := range prog.Code {
			if in.Target >= 0 && int(in.Target) < len(named) {
				named[in.Target] = true
			}
		}
	}
	for _, p := range w.Props {
		for _, t := range p.Tasks {
			if t >= 0 && int(t) < len(named) {
				named[t] = true
			}
		}
	}
	// Group the candidates by what they are, places left out.
	none := func(model.TaskID) bool { return false }
	progs := w.sameProgs()
	var classes [][]model.TaskID
	var sigs [][]byte
	for i := 0; i < k.NumTasks(); i++ {
		t := model.TaskID(i)
		tk := k.Task(t)
		if named[t] || tk.Group == model.NoGroup || tk.Exit != model.ExitNone || tk.Flags&model.PF_KTHREAD != 0 {
			continue
		}
		sig := k.SymmetrySignature(nil, t, none, progs, false)
		sig = fmt.Appendf(sig, "|%d|%d|%d|%d", tk.Parent, tk.Cgroup, tk.NS, tk.Level)
		j := slices.IndexFunc(sigs, func(s []byte) bool { return bytes.Equal(s, sig) })
		if j < 0 {
			sigs = append(sigs, sig)
			classes = append(classes, []model.TaskID{t})
			continue
		}
		classes[j] = append(classes[j], t)
	}
	out := classes[:0]
	for _, c := range classes {
		if len(c) > 1 && k.SymmetryClassBlocker(c) == "" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, "no interchangeable tasks (tasks created at setup with the same program, parent and state that no program or property names)"
	}
	// Pid reuse needs a wrap; a wrap needs more forks than the headroom.
	forks, bounded := w.forkBound()
	if !bounded {
		return nil, "a program forks in a loop: pid numbers could wrap and be reused, which a renaming of pids does not commute with"
	}
	if h := k.PidHeadroom(); int64(forks) >= int64(h) {
		return nil, fmt.Sprintf("the programs can fork %d tasks and a pid namespace has %d numbers left before its cursor wraps", forks, h)
	}
	return out, ""
}

// sameProgs maps each program to the first one with the same code (the
// scenario compiler gives each task its own program, so identical
// forkers run copies), or returns nil if all differ.
func (w *World) sameProgs() []int32 {
	m := make([]int32, len(w.Progs))
	dup := false
	for p := range w.Progs {
		m[p] = int32(p)
		for q := 0; q < p; q++ {
			if slices.EqualFunc(w.Progs[q].Code, w.Progs[p].Code, sameInstr) {
				m[p], dup = int32(q), true
				break
			}
		}
	}
	if !dup {
		return nil
	}
	return m
}

// sameInstr reports whether two instructions are the same.
func sameInstr(a, b Instr) bool {
	if !slices.Equal(a.FdinfoNS, b.FdinfoNS) || !slices.Equal(a.FdinfoNSReg, b.FdinfoNSReg) {
		return false
	}
	a.FdinfoNS, a.FdinfoNSReg, b.FdinfoNS, b.FdinfoNSReg = nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

func (w *World) progName(p int32) string {
	if int(p) < len(w.Progs) && w.Progs[p].Name != "" {
		return w.Progs[p].Name
	}
	return fmt.Sprint(p)
}

// symmetryBlocker says why an instruction rules symmetry reduction out:
// it stores, compares or chooses by a pid, or exchanges pid numbers.
func symmetryBlocker(in Instr) string {
	if in.Out != 0 || in.PidfdOut != 0 || in.Reg != 0 || in.Fd != 0 {
		return "a named register holds a pid or pidfd"
	}
	for _, v := range in.SetTid {
		if v != 0 {
			return "clone3 set_tid asks for pid numbers"
		}
	}
	pidFile := in.File == model.FileProcs || in.File == model.FileThreads
	switch in.Op {
	case OpPause, OpExitGroup, OpExit, OpFork, OpMkdir, OpRmdir, OpUnshare, OpSetns, OpSubreaper,
		OpSigaction, OpSpin, OpWaitCond, OpJump, OpJumpIfErr, OpLoop, OpSet, OpSigprocmask, OpGetSubreaper:
		return ""
	case OpWrite:
		if pidFile && in.Str != "0" {
			return "a pid written to " + in.File.String()
		}
		return ""
	case OpRead:
		if pidFile {
			return "a read of " + in.File.String() + " returns pids"
		}
		return ""
	case OpKill, OpKillPgrp:
		if in.Target != model.NoTask || in.A == PidLastChild {
			return "" // by name (a named task stays put) or the last child
		}
		return "a pid literal"
	case OpSetpgid:
		if in.A == 0 && in.B == 0 && in.Target == model.NoTask {
			return ""
		}
		return "setpgid with a pid"
	}
	return fmt.Sprintf("%s stores, compares or exchanges pids", in.Op)
}

// forkBound bounds the tasks the world's programs can create from the
// initial state, if no program forks on a loop: a task runs each fork
// not on a loop at most once, and its child starts at the fork's B.
func (w *World) forkBound() (int64, bool) {
	type key struct{ prog, pc int32 }
	memo := map[key]int64{}
	busy := map[key]bool{}
	const lots = 1 << 40
	var from func(prog, pc int32) (int64, bool)
	// from is the bound on the tasks a task at (prog, pc) and its
	// descendants create.
	from = func(prog, pc int32) (int64, bool) {
		kk := key{prog, pc}
		if n, ok := memo[kk]; ok {
			return n, true
		}
		if busy[kk] {
			return 0, false // a child reaches the fork it was born of
		}
		busy[kk] = true
		defer delete(busy, kk)
		code := w.Progs[prog].Code
		reach := reachable(code, pc)
		n := int64(0)
		for i, in := range code {
			if !reach[i] || in.Op != OpFork {
				continue
			}
			if onCycle(code, int32(i)) {
				return 0, false
			}
			c, ok := from(prog, in.B)
			if !ok {
				return 0, false
			}
			n += 1 + c
			if n > lots {
				n = lots
			}
		}
		memo[kk] = n
		return n, true
	}
	total := int64(0)
	for i := 0; i < w.K.NumTasks(); i++ {
		tk := w.K.Task(model.TaskID(i))
		if tk.Group == model.NoGroup || tk.Exit != model.ExitNone || tk.Flags&model.PF_KTHREAD != 0 || int(tk.User.Prog) >= len(w.Progs) {
			continue
		}
		n, ok := from(tk.User.Prog, tk.User.PC)
		if !ok {
			return 0, false
		}
		total += n
	}
	return total, true
}

// successors lists where control goes after instruction pc.
func successors(code []Instr, pc int32) []int32 {
	in := code[pc]
	switch in.Op {
	case OpJump:
		return []int32{in.A}
	case OpJumpIfErr, OpLoop:
		return []int32{pc + 1, in.B}
	case OpExitGroup:
		return nil
	}
	return []int32{pc + 1}
}

// reachable marks the instructions reachable from pc.
func reachable(code []Instr, pc int32) []bool {
	seen := make([]bool, len(code))
	stack := []int32{pc}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p < 0 || int(p) >= len(code) || seen[p] {
			continue
		}
		seen[p] = true
		stack = append(stack, successors(code, p)...)
	}
	return seen
}

// onCycle reports whether instruction pc can be reached again after it.
func onCycle(code []Instr, pc int32) bool {
	for _, s := range successors(code, pc) {
		if s >= 0 && int(s) < len(code) && reachable(code, s)[pc] {
			return true
		}
	}
	return false
}

// symCanon is a world's canonicalizer: the classes (ascending ids) and
// their members. Immutable; shared by the search's states.
type symCanon struct {
	classes [][]model.TaskID
	member  []bool
	progs   []int32 // World.sameProgs
	// Scratch, owned by the one search that calls canonical.
	sigs  [][]byte
	order []model.TaskID
	perm  []model.TaskID
}

// canonical renames c's class members into the order of their
// signatures: the member with the smallest signature takes the class's
// smallest id, and so on (ties keep their order); programs with the same
// code become one. It returns nil when that changes nothing or the
// kernel refuses (explore.Symmetric).
func (sc *symCanon) canonical(c, scratch explore.Model) explore.Model {
	w := c.(interface{ AsWorld() *World }).AsWorld()
	k := w.K
	n := k.NumTasks()
	sc.perm = sc.perm[:0]
	for i := 0; i < n; i++ {
		sc.perm = append(sc.perm, model.TaskID(i))
	}
	isMember := func(t model.TaskID) bool { return int(t) < len(sc.member) && sc.member[t] }
	moved := false
	for _, class := range sc.classes {
		sc.order = append(sc.order[:0], class...)
		for len(sc.sigs) < len(class) {
			sc.sigs = append(sc.sigs, nil)
		}
		for i, t := range class {
			sc.sigs[i] = k.SymmetrySignature(sc.sigs[i][:0], t, isMember, sc.progs, true)
		}
		sigOf := func(t model.TaskID) []byte { return sc.sigs[slices.Index(class, t)] }
		slices.SortStableFunc(sc.order, func(a, b model.TaskID) int { return bytes.Compare(sigOf(a), sigOf(b)) })
		for i, t := range sc.order {
			sc.perm[t] = class[i]
			if t != class[i] {
				moved = true
			}
		}
	}
	if !moved && sc.progs == nil {
		return nil
	}
	r, _ := scratch.(*World)
	if r == nil {
		r = &World{K: new(model.Kernel)}
	}
	rk, ok := k.Renamed(r.K, model.Renaming{Tasks: sc.perm, Progs: sc.progs})
	if !ok {
		return nil
	}
	r.K = rk
	return r
}
