package sim

import (
	"cgsim/model"
	"cgsim/sim/explore"
)

// Partial-order reduction for worlds (explore.Reducer).
//
// In a state, the next steps of two tasks are independent when their
// footprints do not conflict (model.Conflict: they touch different objects,
// or only read the same ones, or do operations that commute, such as
// unlinking two different tasks from a css_set list). A set P of enabled
// tasks is persistent when no task outside P can, in any number of steps
// taken without P, do anything that conflicts with the next step of a task
// in P: then every run from here is equivalent (the same steps, independent
// ones swapped) to a run that starts with a step of P, and the search need
// not start one with anyone else.
//
// Persistent builds P as a stubborn set: it starts from one enabled task,
// and while the next step of some task in P conflicts with the future of
// a task u outside P (everything u, and the children it may fork, may
// still do: model.PathFuture, CallFuture for each instruction its program
// can still reach, DeathFuture if anything can still kill it), it adds u
// to P if u is enabled. A u that is not enabled (it sleeps, waits for a
// lock or a condition, or is a child not yet woken) can only take a step
// after something wakes it: a step that writes what its enabledness reads
// (model.EnableFootprint). So its wakers, the tasks whose futures conflict
// with that, are added to P instead (then none of them moves before P, and
// neither does u); if one of them is not enabled either, P is every
// enabled task. Persistent tries every enabled task as the start and keeps
// the smallest P (the first one found among equal sizes).
//
// How it is worked out does not change P: the futures are indexed by
// object kind (model.Footprint, which answers exactly model.Conflicts),
// and whether a next step conflicts with each future is worked out when
// the closure first reaches its task, not for every enabled task up
// front. The one thing kept from state to state is each task's last
// indexed future (porScratch.futIdx): it is used again only for a future
// equal to it access for access (Footprint.Holds), and an index is a
// function of its future alone, so it cannot carry anything of the state
// it was made in. A task that may die only because another's future may
// signal it gets its death inserted where ownFuture would have put it,
// which gives the same future access for access. TestFuturesAgreeWithPlain
// and TestPersistentAgreesWithPlain compare the futures and P with a
// plain copy of the first version on every state of the porWorlds.
//
// The futures are what makes this sound for tasks that do not exist yet or
// sleep now, and for the long run: they over-approximate, from the state,
// every step a task can take before P moves. The model's footprints are
// checked against the steps' actual effects and commutativity in
// sim/por_test.go, and against the unreduced search on every bundled
// scenario and the race catalogue.
//
// # Why it is sound, and what it rests on
//
// The independence relation is model.Conflict's (model/footprint.go):
// two steps are independent iff no access of one conflicts with an access
// of the other; accesses conflict unless they are on different objects,
// both read, or are list Add/Remove of different elements, Remove/Remove,
// Inc/Inc, Dec/Dec, Count/Count, Iter/Iter, or an Iter and an Add or
// Remove the walk does not reach. Enabledness is read by the step, so an
// independent step neither enables nor disables the other. P above is a
// stubborn set in Valmari's sense with respect to that relation (every
// task outside P, and every task that could wake one, is bounded by its
// future), hence persistent (Godefroid 1996, §4). Exhaustive adds the
// stack proviso (a state whose reduced successor is on the depth-first
// stack is expanded fully), so no enabled step is ignored round a cycle.
// Together: every quiescent (deadlocked) state of the full graph is
// reached, and every step some run takes is taken, after the same
// dependent steps, by an explored run, so a coverage point or a logged
// result is reached with the same value. The explorer checks AtEnd
// properties only at quiescence and OnHistory properties after each
// step, and both are preserved; EveryState properties are not (the
// reduction skips the intermediate states) and switch it off.
//
// What this rests on, and is checked by test rather than proved: that
// the footprints declare every field a step reads or writes (TestFootprintCoversWrites
// compares the declared writes with the key components each
// step changes), that declared-independent steps commute
// (TestIndependentStepsCommute), that futures over-approximate
// (TestFuturesCoverEverything), all on every reachable state of the
// worlds of porWorlds; and, end to end, that reduced and unreduced
// searches reach the same quiescent states, coverage and violations on
// every bundled scenario and the race catalogue (TestReducedAgreesWithFull).
// A new state field, system call or kernel path must be added to the
// footprints (or declared ObjAny) or the reduction may become unsound, and
// the end-to-end check will not necessarily say so: with kill(0/-N/-1)
// taken for a kill of no process (a bug found by reading, after main added
// process groups), every world of TestReducedAgreesWithFull, the
// pgrp-kill-zero one included, still agreed, because other accesses of the
// same steps happened to conflict.
//
// The reduction is off (ReductionBlocker) for worlds with:
//   - a Gate: it withholds tasks on conditions the footprints do not see
//     (a gated world's many quiescent states are also what POR must keep);
//   - tasks driven by Go code (Drive): their steps are not described;
//   - a property checked on every state (Scope EveryState): POR keeps the
//     quiescent states and every step of every run, not every state.

// ReductionBlocker reports why partial-order reduction cannot be used on
// w, or "" (explore.Reducer).
func (w *World) ReductionBlocker() string {
	switch {
	case w.drv != nil:
		return "tasks run Go code (sim.Drive), whose steps are not described"
	case w.Gate != nil:
		return "a Gate withholds tasks on conditions the footprints do not describe"
	}
	for _, p := range w.Props {
		if p.Scope == EveryState {
			return "property " + p.Name + " is checked on every state"
		}
	}
	return ""
}

// porScratch holds the buffers of Persistent, reused across calls. It is
// owned by one world (CloneWorld gives a clone its own).
type porScratch struct {
	next   [][]model.Access  // per enabled actor (indexed like en)
	fut    [][]model.Access  // per task
	futIdx []model.Footprint // per task: fut, indexed for Conflicts
	enab   [][]model.Access  // per task: what its enabledness reads (when needed)
	enIdx  []int             // per task: its index in en, or -1
	mayDie []bool
	turned []int // futures: the tasks whose mayDie turned true in a pass
	death  []int // per task: where its death goes in fut (ownFuture)
	tail   []model.Access
	// conf[i*n+u]: next[i] conflicts with fut[u], valid once row[i] is
	// set (a row is worked out when the closure first reaches en[i]).
	conf []bool
	row  []bool
	in   []bool
	best []int
	cur  []int
}

// Persistent returns a persistent subset of en (explore.Reducer).
func (w *World) Persistent(en []int, buf []int) []int {
	k := w.K
	n := k.NumTasks()
	ps := &w.por
	if cap(ps.next) < len(en) {
		ps.next = make([][]model.Access, len(en))
	}
	ps.next = ps.next[:len(en)]
	w.futures()
	if cap(ps.conf) < len(en)*n {
		ps.conf = make([]bool, len(en)*n)
	}
	ps.conf = ps.conf[:len(en)*n]
	if cap(ps.row) < len(en) {
		ps.row = make([]bool, len(en))
	}
	ps.row = ps.row[:len(en)]
	for i := range ps.row {
		ps.row[i] = false
	}
	if cap(ps.in) < n {
		ps.in = make([]bool, n)
		ps.enIdx = make([]int, n)
	}
	ps.in = ps.in[:n]
	ps.enIdx = ps.enIdx[:n]
	for u := range ps.enIdx {
		ps.enIdx[u] = -1
	}
	for i, a := range en {
		ps.enIdx[a] = i
	}
	if cap(ps.enab) < n {
		ps.enab = append(ps.enab[:cap(ps.enab)], make([][]model.Access, n-cap(ps.enab))...)
	}
	ps.enab = ps.enab[:n]
	for u := range ps.enab {
		ps.enab[u] = nil // computed when needed (wakers)
	}
	best := ps.best[:0]
	for seed := range en {
		cur, ok := w.closure(en, seed, n)
		if ok && (len(best) == 0 || len(cur) < len(best)) {
			best = append(best[:0], cur...)
			if len(best) == 1 {
				break
			}
		}
	}
	ps.best = best
	if len(best) == 0 || len(best) == len(en) {
		return append(buf, en...)
	}
	// Ascending order, as en.
	for _, a := range en {
		for _, b := range best {
			if a == b {
				buf = append(buf, a)
			}
		}
	}
	return buf
}

// confRow works out row i of w.por.conf: whether the next step of en[i]
// conflicts with what each other task may do.
func (w *World) confRow(en []int, i, n int) {
	ps := &w.por
	a := en[i]
	ps.next[i] = w.nextFootprint(model.TaskID(a), ps.next[i][:0])
	row := ps.conf[i*n : (i+1)*n]
	for u := range row {
		row[u] = u != a && ps.futIdx[u].Conflicts(ps.next[i])
	}
	ps.row[i] = true
}

// closure grows the stubborn set from en[seed]; ok is false when a task
// outside it that is not enabled has a waker that is not enabled either.
func (w *World) closure(en []int, seed, n int) ([]int, bool) {
	ps := &w.por
	for i := range ps.in {
		ps.in[i] = false
	}
	cur := append(ps.cur[:0], en[seed])
	ps.in[en[seed]] = true
	add := func(v int) bool {
		if ps.in[v] {
			return true
		}
		if ps.enIdx[v] < 0 {
			return false
		}
		ps.in[v] = true
		cur = append(cur, v)
		return true
	}
	ok := true
	for j := 0; j < len(cur) && ok; j++ {
		i := ps.enIdx[cur[j]]
		if !ps.row[i] {
			w.confRow(en, i, n)
		}
		for u := 0; u < n && ok; u++ {
			if ps.in[u] || !ps.conf[i*n+u] {
				continue
			}
			if ps.enIdx[u] >= 0 {
				add(u)
				continue
			}
			// u sleeps: the tasks that may wake it go in instead.
			for v := 0; v < n && ok; v++ {
				if v != u && w.wakes(v, u) {
					ok = add(v)
				}
			}
		}
	}
	ps.cur = cur
	return cur, ok
}

// wakes reports whether task v's future may write what task u's
// enabledness reads.
func (w *World) wakes(v, u int) bool {
	ps := &w.por
	if ps.enab[u] == nil {
		ps.enab[u] = w.enableFootprint(model.TaskID(u), make([]model.Access, 0, 8))
	}
	return ps.futIdx[v].Conflicts(ps.enab[u]) // Conflicts is symmetric
}

// enableFootprint is what u's enabledness reads: the kernel's, and an
// awaited condition's.
func (w *World) enableFootprint(u model.TaskID, buf []model.Access) []model.Access {
	k := w.K
	buf = k.EnableFootprint(u, buf)
	tk := k.Task(u)
	if tk.Group == model.NoGroup || k.NeedsKernelStep(u) || w.driven(u) >= 0 {
		return buf
	}
	if _, in, burn := w.next(u, tk.User, tk.Ret, tk.Err); !burn && in.Op == OpWaitCond {
		buf = w.condReads(in, buf)
	}
	return buf
}

// nextFootprint is the footprint of task t's next step (an enabled task).
func (w *World) nextFootprint(t model.TaskID, buf []model.Access) []model.Access {
	k := w.K
	tk := k.Task(t)
	var label string
	if k.NeedsKernelStep(t) {
		buf = k.StepFootprint(t, buf)
		if tk.User.R[1] == 1 && tk.Frame.Path != model.KExit {
			label = w.instr(tk.User).Label // the call may return now
		}
	} else {
		if tk.User.R[1] != 0 {
			if in := w.instr(tk.User); in.Op == OpFork && in.PidfdOut > 0 {
				// World.next resolves the returned fork's CLONE_PIDFD from
				// the child's pid now: a read of the pid maps.
				buf = append(buf, model.Access{Kind: model.ObjPidmap, Op: model.Read, ID: model.AnyID, Elem: model.AnyID})
			}
		}
		u, in, burn := w.next(t, tk.User, tk.Ret, tk.Err)
		var c model.Call
		switch {
		case burn:
			c.Kind = model.CallNone
		case int(u.PC) >= len(w.Progs[u.Prog].Code):
			c.Kind = model.CallExit
		default:
			c = w.callOf(t, in, true)
			label = in.Label
			if in.Op == OpWaitCond {
				buf = w.condReads(in, buf)
			}
		}
		buf = k.CallFootprint(t, c, buf)
	}
	if label != "" {
		buf = append(buf, model.Access{Kind: model.ObjLabel, Op: model.Add, ID: w.intern(label), Elem: int32(t)})
	}
	return buf
}

// condReads is what an OpWaitCond's condition reads.
func (w *World) condReads(in Instr, buf []model.Access) []model.Access {
	r := func(kind model.ObjKind, id int32) {
		buf = append(buf, model.Access{Kind: kind, Op: model.Read, ID: id, Elem: model.AnyID})
	}
	if in.Fd > 0 {
		// A pidfd held in a register: which process it names is not
		// followed.
		buf = append(buf, model.Access{Kind: model.ObjAny, Op: model.Read, ID: model.AnyID, Elem: model.AnyID})
		return buf
	}
	cg := int32(in.Cg)
	if in.Path != "" {
		r(model.ObjCgConf, model.AnyID)
		cg = model.AnyID
	}
	switch in.A {
	case CondUnpopulated, CondPopulated, CondFrozen:
		r(model.ObjPop, cg)
	case CondForkPastCanFork:
		r(model.ObjTask, int32(in.Target))
		r(model.ObjChildren, int32(in.Target))
	case CondTaskGone, CondZombie:
		r(model.ObjTask, int32(in.Target))
		if h := w.K.PidHolder(in.Target); h != in.Target {
			r(model.ObjTask, int32(h)) // the thread that exec'd took the pid
		}
		r(model.ObjGroup, model.AnyID)
	default:
		buf = append(buf, model.Access{Kind: model.ObjAny, Op: model.Read, ID: model.AnyID, Elem: model.AnyID})
	}
	return buf
}

// callOf describes instruction in, issued by t, for the footprints. now
// says whether it is the next step (its target is resolved in the state)
// or a future one.
func (w *World) callOf(t model.TaskID, in Instr, now bool) model.Call {
	k := w.K
	c := model.Call{Kind: model.CallOther, Cg: in.Cg, Path: in.Path != ""}
	if in.Path != "" && in.Op != OpMkdir {
		if cg, ok := k.Lookup(in.Path); ok {
			c.Cg = cg
		} else {
			c.Cg = model.NoCgroup
		}
	}
	switch in.Op {
	case OpPause:
		c.Kind = model.CallPause
	case OpExitGroup, OpExit:
		c.Kind = model.CallExit
	case OpFork:
		if in.HasExitSignal || in.SetTid[0] != 0 || in.SetTidReg[0] != 0 {
			break // clone3's exit_signal and set_tid are not followed (CallOther)
		}
		c.Kind = model.CallFork
		c.Flags = uint32(in.A)
	case OpKill:
		if in.A == PidReg || in.A <= 0 && in.A != PidLastChild && (in.Target == model.NoTask || in.Target < 0) {
			break // kill(0), kill(-N), kill(-1): process groups, broadcast; a pid in a register (CallOther)
		}
		c.Kind = model.CallKill
		c.Sig = model.Signal(in.B)
		c.Target = model.TaskID(model.AnyID)
		if now {
			c.Target = w.killTarget(t, in)
		}
	case OpWrite:
		if in.Path != "" && c.Cg == model.NoCgroup {
			c.Kind = model.CallNone // ENOENT from openat
			break
		}
		c.Kind = model.CallWrite
		c.File = in.File
	case OpRead, OpReaddir:
		c.Kind = model.CallRead
	case OpSpin, OpWaitCond, OpJump, OpJumpIfErr, OpLoop, OpSet:
		c.Kind = model.CallNone
	}
	return c
}

// killTarget resolves the process an OpKill of t names now, as issue does.
func (w *World) killTarget(t model.TaskID, in Instr) model.TaskID {
	k := w.K
	pid := in.A
	if pid == PidLastChild {
		if pid = k.Task(t).User.R[2]; pid == 0 {
			return model.NoTask
		}
	} else if in.Target != model.NoTask && in.Target >= 0 {
		if pid = k.PidIn(k.PidHolder(in.Target), k.Task(t).NS); pid == 0 {
			return model.NoTask
		}
	}
	if pid <= 0 {
		return model.NoTask
	}
	return k.FindTask(k.Task(t).NS, pid)
}

// futures computes, for every task, the footprint of everything it (and
// the children it may fork) may still do, in w.por.fut, and indexes each
// in w.por.futIdx.
func (w *World) futures() {
	k := w.K
	n := k.NumTasks()
	ps := &w.por
	if cap(ps.fut) < n {
		ps.fut = append(ps.fut[:cap(ps.fut)], make([][]model.Access, n-cap(ps.fut))...)
	}
	if cap(ps.futIdx) < n {
		// Apart from fut: append may round their capacities differently.
		ps.futIdx = append(ps.futIdx[:cap(ps.futIdx)], make([]model.Footprint, n-cap(ps.futIdx))...)
	}
	ps.fut = ps.fut[:n]
	ps.futIdx = ps.futIdx[:n]
	if cap(ps.mayDie) < n {
		ps.mayDie = make([]bool, n)
		ps.death = make([]int, n)
	}
	ps.mayDie = ps.mayDie[:n]
	ps.death = ps.death[:n]
	for t := 0; t < n; t++ {
		id := model.TaskID(t)
		ps.mayDie[t] = k.Task(id).Group != model.NoGroup && k.Doomed(id)
		ps.fut[t], ps.death[t] = w.ownFuture(id, ps.fut[t][:0])
		ps.futIdx[t].Reset(ps.fut[t])
	}
	// A task that some future may signal may die: add its death, which
	// may signal others (SIGCHLD to a handler) in turn. A future depends
	// on its own task's mayDie alone, and only through the DeathFuture
	// that ownFuture appends at death (what it appends after it reads
	// neither mayDie nor buf), so the futures of the tasks that turned
	// get their death inserted there: the future ownFuture would give.
	turned := ps.turned[:0]
	for {
		turned = turned[:0]
		for t := 0; t < n; t++ {
			if ps.mayDie[t] || !w.signalled(model.TaskID(t)) {
				continue
			}
			turned = append(turned, t)
		}
		if len(turned) == 0 {
			break
		}
		for _, t := range turned {
			ps.mayDie[t] = true
			d := ps.death[t]
			if d < 0 {
				continue
			}
			ps.tail = append(ps.tail[:0], ps.fut[t][d:]...)
			f := k.DeathFuture(model.TaskID(t), false, ps.fut[t][:d])
			ps.fut[t] = append(f, ps.tail...)
			ps.futIdx[t].Reset(ps.fut[t])
		}
	}
	ps.turned = turned
}

// signalled reports whether some other task's future may signal t.
func (w *World) signalled(t model.TaskID) bool {
	k := w.K
	tk := k.Task(t)
	if tk.Group == model.NoGroup {
		return false
	}
	g := int32(tk.Group)
	for u := range w.por.futIdx {
		if model.TaskID(u) == t {
			continue
		}
		f := &w.por.futIdx[u]
		if f.Modifies(model.ObjSig, int32(t)) || f.Modifies(model.ObjGSig, g) {
			return true
		}
	}
	return false
}

// ownFuture appends the future of task t to buf: the rest of its kernel
// path, the calls its program can still reach (and those of the children
// it may fork, which start at the fork's B), its death if it may die.
// death is where in buf its death starts (or would start, if it may not
// die), -1 if the future has no place for it.
func (w *World) ownFuture(t model.TaskID, buf []model.Access) (_ []model.Access, death int) {
	k := w.K
	tk := k.Task(t)
	if tk.Group == model.NoGroup || tk.Newborn() || k.Done(t) || tk.Flags&model.PF_KTHREAD != 0 {
		// A child its fork has not woken yet (its forker's future covers
		// it, as a fresh child), a task that is done, or a kthread.
		return buf, -1
	}
	buf = k.PathFuture(t, buf)
	if tk.Frame.Path == model.KExit {
		return buf, -1 // it will not run user code again
	}
	death = len(buf)
	if w.por.mayDie[t] {
		buf = k.DeathFuture(t, false, buf)
	}
	code := w.Progs[tk.User.Prog].Code
	start := tk.User.PC
	if tk.User.R[1] != 0 && int(start) < len(code) && code[start].Op != OpFork {
		// The call at PC is in flight or done: the program goes on after
		// it (only a fork is restarted, with ERESTARTNOINTR). A call in
		// flight logs its result when it returns.
		if l := code[start].Label; l != "" && tk.User.R[1] == 1 {
			buf = append(buf, model.Access{Kind: model.ObjLabel, Op: model.Add, ID: w.intern(l), Elem: int32(t)})
		}
		start++
	}
	reach, forks := w.reach(code, start)
	for pc := range reach {
		if !reach[pc] {
			continue
		}
		buf = w.callFuture(t, false, code, int32(pc), buf)
	}
	// Children: their program from each fork's B, fresh, and their death.
	if forks {
		child := w.childReach(code, reach)
		for pc := range child {
			if child[pc] {
				buf = w.callFuture(t, true, code, int32(pc), buf)
			}
		}
		buf = k.DeathFuture(t, true, buf)
	}
	return buf, death
}

// callFuture is the future of instruction pc of code (or of the program's
// end, pc == len(code)), issued by t or (fresh) by a child of t.
func (w *World) callFuture(t model.TaskID, fresh bool, code []Instr, pc int32, buf []model.Access) []model.Access {
	k := w.K
	if int(pc) >= len(code) {
		return k.CallFuture(t, fresh, model.Call{Kind: model.CallExit}, buf)
	}
	in := code[pc]
	if in.Op == OpWaitCond {
		buf = w.condReads(in, buf)
	}
	c := w.callOf(t, in, false)
	buf = k.CallFuture(t, fresh, c, buf)
	if in.Label != "" {
		id := int32(t)
		if fresh {
			id = model.FreshID
		}
		buf = append(buf, model.Access{Kind: model.ObjLabel, Op: model.Add, ID: w.intern(label(in)), Elem: id})
	}
	return buf
}

func label(in Instr) string { return in.Label }

// reach marks the instructions of code reachable from pc (and the
// program's end, at len(code)) through jumps, and reports whether a fork
// is among them.
func (w *World) reach(code []Instr, pc int32) ([]bool, bool) {
	seen := make([]bool, len(code)+1)
	forks := false
	var visit func(pc int32)
	visit = func(pc int32) {
		for {
			if pc < 0 || int(pc) > len(code) {
				pc = int32(len(code))
			}
			if seen[pc] {
				return
			}
			seen[pc] = true
			if int(pc) == len(code) {
				return
			}
			in := code[pc]
			switch in.Op {
			case OpJump:
				pc = in.A
				continue
			case OpJumpIfErr, OpLoop:
				visit(in.B)
			case OpFork:
				forks = true
			}
			pc++
		}
	}
	visit(pc)
	return seen, forks
}

// childReach marks what the children of the forks marked in reach can
// run: from each fork's B, and their own children's.
func (w *World) childReach(code []Instr, reach []bool) []bool {
	out := make([]bool, len(code)+1)
	for done := false; !done; {
		done = true
		for pc, ok := range reach {
			if !ok || pc >= len(code) || code[pc].Op != OpFork {
				continue
			}
			r, _ := w.reach(code, code[pc].B)
			for i, x := range r {
				if x && !out[i] {
					out[i] = true
					done = false
				}
			}
		}
		reach = out
	}
	return out
}

var _ explore.Reducer = (*World)(nil)
