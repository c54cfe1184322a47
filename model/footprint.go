package model

// Footprints: what a step reads and writes, for partial-order reduction.
//
// This file changes nothing in the machine: it describes, from the
// state, which parts of the machine a task's next step may touch
// (StepFootprint, CallFootprint) and which parts everything it may still
// do may touch (PathFuture, CallFuture, DeathFuture). sim/por.go uses them
// to pick a persistent set of tasks in each state.
//
// # Objects
//
// The machine is divided into objects (ObjKind and an id): a task's
// execution state (ObjTask: frame, registers, flags, exit state, css_set
// membership), its private pending signals (ObjSig), its family links
// (ObjFam: parent, exit_signal), the position of its cgroup.kill walk
// (ObjWalkPos), the children list of a task (ObjChildren), a thread group
// (ObjGroup: its threads, live count, dispositions, subreaper flags) and
// its signal state (ObjGSig: shared pending signals, SIGNAL_GROUP_EXIT and
// the other flags, the group exit code), a css_set's task lists
// (ObjCsetList), its reference count (ObjCsetRef), its place on its
// cgroup's cset_links (ObjCsetLinks), a cgroup's populated and frozen
// state and cgroup.events (ObjPop), its CGRP_KILL and kill_seq (ObjKill),
// its cgroup.freeze (ObjFreeze), its pids counters (ObjPids), its
// configuration and place in the tree (ObjCgConf), a pid namespace's
// reaper and flags (ObjNS) and its pid numbers (ObjPidmap: the idr, the
// cursor, pid_allocated), the global allocation tables (ObjAlloc: task, group, namespace slots and
// the pid-number array, whose order records the order of allocations),
// cgroup_mutex (ObjMutex), the threadgroup rwsem's readers and writer
// (ObjTgReaders, ObjTgWriter), the kill iterators' registry (ObjIters),
// nr_threads (ObjNrThreads), the panic (ObjPanic), the log of a label
// (ObjLabel, used by package sim), and the css_sets' creation order
// (ObjCsetOrder: only an OOM walk reads it; a css_set's release renumbers
// the younger ones, which commutes with another release, and only paths
// that are ObjAny create a css_set). ObjAny is every object at once.
//
// Where main's state fields went (every field AppendKey encodes is in
// some object): Task.handlerExit, vforkParent, execHeir, Blocked,
// User.N and Frame.Delayed, SetTid and ExitSig are ObjTask; Group.GroupExec,
// OomVictim, CoreState and coreWaiters are ObjGSig (signal state that
// get_signal reads); Group.Pgid, Sid, SessionLeader, OomScoreAdj and
// CoreUnlimited are ObjGroup; PidNS.PidMax is ObjNS; Cgroup.OomGroup is ObjCgConf; CssSet.order
// is ObjCsetOrder; oom_lock's owner is followed by nothing but ObjAny.
// The paths and calls that change them are ObjAny (execve, setpgid,
// setsid, kill of a process group or of -1, the OOM killer, a vfork, a
// handler that exits, a core dump and a SIGKILL that interrupts one,
// sigprocmask, clone3 with set_tid or exit_signal and the exit of a child
// born with an exit_signal other than SIGCHLD, a pid_max write; the
// enabledness of any path but user mode, pause, fork, exit and a cgroup
// write), except a release, whose process-group bookkeeping
// is followed only in the plain case (its pid is nobody's process group
// or session, and its own group's are held by live tasks).
//
// # Operations and the independence relation
//
// An Access is an operation on an object. Two accesses conflict
// (Conflict) unless they are on different objects, or both read, or they
// are operations that commute on every state where both can happen:
//
//   - Add(e) and Remove(e') on a list commute when e != e': a doubly linked
//     list is determined by its order, and appending at the tail and
//     unlinking another element give the same list in either order. Two
//     Removes commute; two Adds do not (the order of the elements).
//   - Inc with Inc and Dec with Dec commute on a counter with a threshold
//     (populated: the 0↔1 transition and its cgroup.events notification
//     happen once, whichever goes first); Inc and Dec do not.
//   - Count with Count commutes: a counter whose value no step compares
//     (the rwsem's reader count against a writer that does not exist,
//     nr_threads under an unreachable limit, a css_set's reference count
//     while it cannot drop to zero; the drop that frees a css_set is
//     declared as a Write of its ObjCsetLinks as well).
//   - Iter(e) is a kill walk that will yield element e of a list, or reach
//     its end (ElemTail): it conflicts with Remove(e) (the unlink moves an
//     iterator positioned on e) and with every Add (a new tail is yielded
//     or not), and with nothing behind its position.
//   - A pid number's release (Remove on ObjPidmap) commutes with another's;
//     an allocation is a Write of the namespace's pid numbers.
//   - A SIGKILL to a thread group that already has SIGNAL_GROUP_EXIT is
//     dropped (prepare_signal), and the flag is never cleared: such a send
//     only reads.
//
// Two steps are independent when no access of one conflicts with an
// access of the other. The relation is sound because each step declares
// an object for every field it reads or writes: StepFootprint is checked
// against the objects every step actually changes, and the independence
// it implies against commutativity (both orders reach the same state, and
// neither step disables the other) on every reachable state of the test
// worlds (sim/por_test.go). What the footprints do not follow precisely (a
// system call they do not model, cgroup files other than cgroup.kill, the
// zap, the freezer, threads, CLONE_INTO_CGROUP/CLONE_NEWPID/CLONE_PARENT,
// other signals than SIGKILL) is ObjAny, which conflicts with everything.
//
// A task's enabledness is part of its next step: StepFootprint reads what
// Runnable and NeedsKernelStep read. So a step that enables or disables
// another task's step conflicts with it, as persistent sets require.
//
// # Futures
//
// A persistent set needs more than the next steps: no task outside it may,
// in any number of steps, do something that conflicts with a step of the
// set. The futures over-approximate everything a task, and the children it
// may fork, may still do: the rest of its kernel path (PathFuture), every
// system call its program can still reach (CallFuture), and its death if
// anything can still kill it (DeathFuture). The objects of tasks that do
// not exist yet have the id FreshID, which meets only AnyID and FreshID: a
// step that creates a task writes ObjAlloc, so it conflicts with every
// other creation anyway, and objects created by a step of the set are not
// in anyone's future before that step.

// ObjKind is a kind of object of the machine.
type ObjKind uint8

// Object kinds.
const (
	ObjAny ObjKind = iota
	ObjTask
	ObjSig
	ObjFam
	ObjWalkPos
	ObjChildren
	ObjGroup
	ObjGSig
	ObjCsetList
	ObjCsetRef
	ObjCsetLinks
	ObjPop
	ObjKill
	ObjFreeze
	ObjPids
	ObjCgConf
	ObjNS
	ObjPidmap
	ObjAlloc
	ObjMutex
	ObjTgReaders
	ObjTgWriter
	ObjIters
	ObjNrThreads
	ObjPanic
	ObjLabel
	ObjCsetOrder
	NumObjKinds
)

var objNames = [...]string{"any", "task", "sig", "fam", "walkpos", "children", "group", "gsig", "cset-list", "cset-ref",
	"cset-links", "pop", "kill", "freeze", "pids", "cgconf", "ns", "pidmap", "alloc", "mutex", "tg-readers", "tg-writer",
	"iters", "nr-threads", "panic", "label", "cset-order"}

// String names the kind.
func (o ObjKind) String() string { return objNames[o] }

// AccessOp is an operation on an object.
type AccessOp uint8

// Operations (see the file comment for which commute).
const (
	Read AccessOp = iota
	Write
	Add
	Remove
	Inc
	Dec
	Count
	Iter
)

var opNames = [...]string{"read", "write", "add", "remove", "inc", "dec", "count", "iter"}

// String names the operation.
func (o AccessOp) String() string { return opNames[o] }

// Special ids and elements.
const (
	// AnyID is every object of the kind, or every element.
	AnyID int32 = -1
	// FreshID is an object created later by a task outside the set.
	FreshID int32 = -2
	// ElemTail is the end of a list (Iter): what an Add changes.
	ElemTail int32 = -3
)

// Access is one operation on one object (Elem: the list element or pid
// number of Add, Remove and Iter).
type Access struct {
	Kind ObjKind
	Op   AccessOp
	ID   int32
	Elem int32
}

// String renders the access for test messages: "write task 3".
func (a Access) String() string {
	s := a.Op.String() + " " + a.Kind.String() + " " + idString(a.ID)
	if a.Op == Add || a.Op == Remove || a.Op == Iter {
		s += " elem " + idString(a.Elem)
	}
	return s
}

func idString(id int32) string {
	switch id {
	case AnyID:
		return "*"
	case FreshID:
		return "fresh"
	case ElemTail:
		return "tail"
	}
	return itoa(int(id))
}

func idsMeet(a, b int32) bool {
	return a == b || a == AnyID || b == AnyID
}

// Conflict reports whether two accesses may not commute (see the file
// comment).
func Conflict(a, b Access) bool {
	if a.Kind == ObjAny || b.Kind == ObjAny {
		return a.Op != Read || b.Op != Read
	}
	if a.Kind != b.Kind || !idsMeet(a.ID, b.ID) {
		return false
	}
	if a.Op > b.Op {
		a, b = b, a
	}
	switch {
	case a.Op == Read && (b.Op == Read || b.Op == Iter):
		return false
	case a.Op == Add && b.Op == Remove:
		return idsMeet(a.Elem, b.Elem)
	case a.Op == Remove && b.Op == Remove,
		a.Op == Inc && b.Op == Inc,
		a.Op == Dec && b.Op == Dec,
		a.Op == Count && b.Op == Count,
		a.Op == Iter && b.Op == Iter:
		return false
	case a.Op == Add && b.Op == Iter:
		return b.Elem == ElemTail || b.Elem == AnyID
	case a.Op == Remove && b.Op == Iter:
		return idsMeet(a.Elem, b.Elem)
	}
	return true
}

// Conflicts reports whether any access of a conflicts with any of b.
func Conflicts(a, b []Access) bool {
	for _, x := range a {
		for _, y := range b {
			if Conflict(x, y) {
				return true
			}
		}
	}
	return false
}

// A Footprint is a footprint arranged for Conflicts against many others:
// its accesses chained by kind. It answers exactly what Conflicts
// answers, because Conflict is symmetric, accesses of two kinds other
// than ObjAny never conflict, nor do two accesses whose ids do not meet,
// Conflicts is an "any" over the pairs (neither their order nor a
// repeated access matters), and a Write of a kind with AnyID conflicts
// with every access of its kind. It is for the futures of sim's
// partial-order reduction, which are long (tens of accesses) and each
// checked against every enabled task's next step.
//
// The zero value is the empty footprint. Reset reuses the memory.
type Footprint struct {
	// a is a copy of the footprint of the last Reset.
	a []Access
	// head[k] is 1 + the index in a of the last access of kind k, 0 if
	// none; link[i] is 1 + the index of the access of a[i]'s kind before
	// it that the chain goes on to, 0 at the end (an access equal to the
	// one before it in its chain is left out of the chain).
	head [NumObjKinds]int32
	link []int32
	// ids[k] has a bit for each id of an access of kind k: bit i for an
	// id i in [0, 62), bit 62 for AnyID, bit 63 for any other.
	ids [NumObjKinds]uint64
	// all has bit k set when an access of kind k conflicts with every
	// access of kind k (a Write with AnyID).
	all uint32
	// anyN: some access is ObjAny; writes: some access is not a Read;
	// anyWrite: some ObjAny access is not a Read.
	anyN, writes, anyWrite bool
}

// Every kind has a bit in Footprint.all.
var _ [32 - NumObjKinds]struct{}

const (
	idBitAny   = 62
	idBitOther = 63
)

// idBit is the bit of id in Footprint.ids.
func idBit(id int32) uint64 {
	switch {
	case id >= 0 && id < idBitAny:
		return 1 << id
	case id == AnyID:
		return 1 << idBitAny
	}
	return 1 << idBitOther
}

// Holds reports whether f is the footprint fp: fp is the footprint of
// the last Reset (or is empty, and f is the zero Footprint).
func (f *Footprint) Holds(fp []Access) bool {
	return len(fp) == len(f.a) && equalAccesses(fp, f.a)
}

// Reset makes f the footprint fp (f does not keep fp). It does nothing
// when f holds fp already.
func (f *Footprint) Reset(fp []Access) {
	if f.Holds(fp) {
		return
	}
	f.a = append(f.a[:0], fp...)
	if cap(f.link) < len(fp) {
		f.link = make([]int32, len(fp), cap(f.a))
	}
	f.link = f.link[:len(fp)]
	f.head = [NumObjKinds]int32{}
	f.ids = [NumObjKinds]uint64{}
	f.all, f.anyN, f.writes, f.anyWrite = 0, false, false, false
	for i, x := range f.a {
		if x.Op != Read {
			f.writes = true
		}
		if x.Kind == ObjAny {
			f.anyN = true
			if x.Op != Read {
				f.anyWrite = true
			}
			continue
		}
		if x.Op == Write && x.ID == AnyID {
			f.all |= 1 << x.Kind
		}
		f.ids[x.Kind] |= idBit(x.ID)
		h := f.head[x.Kind]
		if h > 0 && f.a[h-1] == x {
			continue
		}
		f.link[i] = h
		f.head[x.Kind] = int32(i + 1)
	}
}

func equalAccesses(a, b []Access) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Conflicts reports whether any access of fp conflicts with any of f:
// Conflicts(fp, f's accesses).
func (f *Footprint) Conflicts(fp []Access) bool {
	if len(f.a) == 0 {
		return false
	}
	for _, x := range fp {
		if x.Kind == ObjAny {
			// Conflict(x, y) is x.Op != Read || y.Op != Read, for any y.
			if x.Op != Read || f.writes {
				return true
			}
			continue
		}
		if f.anyN && (x.Op != Read || f.anyWrite) {
			return true
		}
		if f.all&(1<<x.Kind) != 0 {
			return true
		}
		ids := f.ids[x.Kind]
		if ids == 0 || x.ID >= 0 && x.ID < idBitAny && ids&(1<<x.ID|1<<idBitAny) == 0 {
			continue // no access of the kind whose id meets x's
		}
		for i := f.head[x.Kind]; i > 0; i = f.link[i-1] {
			if Conflict(x, f.a[i-1]) {
				return true
			}
		}
	}
	return false
}

// Modifies reports whether f has an access other than a Read of ObjAny,
// or of kind kind with the id id or AnyID.
func (f *Footprint) Modifies(kind ObjKind, id int32) bool {
	if f.anyWrite {
		return true
	}
	for i := f.head[kind]; i > 0; i = f.link[i-1] {
		if y := f.a[i-1]; y.Op != Read && (y.ID == id || y.ID == AnyID) {
			return true
		}
	}
	return false
}

// fp accumulates a footprint. fut is set for a future: every branch and
// every later state, rather than what the step does now. refs follows the
// css_set references a step takes and drops, to tell which put is the
// last one.
type fp struct {
	k    *Kernel
	a    []Access
	fut  bool
	refs []refDelta
}

type refDelta struct {
	cs CsetID
	d  int32
}

// ref adjusts the step's reference delta of cs by d and returns the
// count after it.
func (b *fp) ref(cs CsetID, d int32) int32 {
	for i := range b.refs {
		if b.refs[i].cs == cs {
			b.refs[i].d += d
			return b.k.csets[cs].refcount + b.refs[i].d
		}
	}
	b.refs = append(b.refs, refDelta{cs, d})
	return b.k.csets[cs].refcount + d
}

// csetGet is a get_css_set of cs in the step.
func (b *fp) csetGet(cs CsetID) {
	if cs == NoCset {
		return
	}
	b.acc(ObjCsetRef, Count, int32(cs), AnyID)
	b.ref(cs, 1)
}

// csetDrop is a put_css_set of cs in the step: the release of the
// css_set if it drops the last reference (in a future: if it may).
func (b *fp) csetDrop(cs CsetID) {
	if cs == NoCset {
		return
	}
	last := b.ref(cs, -1) <= 0
	if b.fut {
		last = true
	}
	b.csetPut(cs, last)
}

func (b *fp) acc(kind ObjKind, op AccessOp, id, elem int32) {
	b.a = append(b.a, Access{kind, op, id, elem})
}
func (b *fp) r(kind ObjKind, id int32) { b.acc(kind, Read, id, AnyID) }
func (b *fp) w(kind ObjKind, id int32) { b.acc(kind, Write, id, AnyID) }

// any is ObjAny: what the footprints do not follow.
func (b *fp) any() { b.acc(ObjAny, Write, AnyID, AnyID) }

// readAll reads every object (a cgroup file read, a condition).
func (b *fp) readAll() { b.acc(ObjAny, Read, AnyID, AnyID) }

// self is the task a footprint is about: an existing task, or (t ==
// NoTask) a child not forked yet, which runs in the context of the task
// that forks it.
type self struct {
	t      TaskID
	ctx    TaskID // the task whose cgroup, css_set, namespace and group's settings apply
	parent TaskID // a fresh child's parent
}

func (s self) id() int32 {
	if s.t == NoTask {
		return FreshID
	}
	return int32(s.t)
}

func (b *fp) group(s self) int32 {
	if s.t == NoTask {
		return FreshID
	}
	return int32(b.k.tasks[s.t].Group)
}

// popUp applies op to ObjPop of c and its ancestors (populated transitions
// propagate up the tree).
func (b *fp) popUp(c CgroupID, op AccessOp) {
	for ; c != NoCgroup; c = b.k.cgroups[c].Parent {
		b.acc(ObjPop, op, int32(c), AnyID)
	}
}

// freezeUp reads cgroup.freeze of c and its ancestors.
func (b *fp) freezeUp(c CgroupID) {
	for ; c != NoCgroup; c = b.k.cgroups[c].Parent {
		b.r(ObjFreeze, int32(c))
	}
}

// freezing reports whether the freezer is involved on c's path: a cgroup
// on it is freezing or frozen. The footprints do not follow the freezer.
func (k *Kernel) freezing(c CgroupID) bool {
	for ; c != NoCgroup; c = k.cgroups[c].Parent {
		if k.cgroups[c].Freeze || k.cgroups[c].frozenSeen {
			return true
		}
	}
	return false
}

// pidsOn reports whether c or an ancestor has a pids css.
func (k *Kernel) pidsOn(c CgroupID) bool {
	for p := c; p != RootCG && p != NoCgroup; p = k.cgroups[p].Parent {
		if k.pidsEnabled(p) {
			return true
		}
	}
	return false
}

// pids is a charge or uncharge of c (and the subtree_control it reads).
func (b *fp) pids(c CgroupID) {
	if c == NoCgroup {
		return
	}
	for p := c; p != NoCgroup; p = b.k.cgroups[p].Parent {
		b.r(ObjCgConf, int32(p))
		if b.k.pidsOn(c) {
			b.w(ObjPids, int32(p))
		}
	}
}

// csetPut is a put_css_set of cs: a Count, and when it may be the last
// reference, the css_set's release (off its cgroup's cset_links, its slot
// free for the next find_css_set).
func (b *fp) csetPut(cs CsetID, last bool) {
	if cs == NoCset {
		return
	}
	b.acc(ObjCsetRef, Count, int32(cs), AnyID)
	if last && cs != InitCset {
		b.w(ObjCsetLinks, int32(cs))
		b.acc(ObjCsetOrder, Count, AnyID, AnyID) // putCset renumbers the younger css_sets
	}
}

// csetLast reports whether one put of cs may release it: now, whether it
// holds a single reference; in a future, whether it is not init_css_set.
func (b *fp) csetLast(cs CsetID) bool {
	if cs == NoCset {
		return false
	}
	if b.fut {
		return cs != InitCset
	}
	return b.k.csets[cs].refcount <= 1
}

// enable reads what Runnable and NeedsKernelStep read for t.
func (b *fp) enable(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	b.r(ObjTask, int32(t))
	b.r(ObjSig, int32(t))
	if tk.Group != NoGroup {
		b.r(ObjGSig, int32(tk.Group))
	}
	if tk.Frozen || tk.Stopped || tk.trapFreeze {
		b.any()
		return
	}
	f := &tk.Frame
	switch f.Path {
	case KWait:
		b.any()
	case KFork:
		switch f.PC {
		case forkCanFork:
			b.r(ObjMutex, AnyID)
			b.r(ObjTgWriter, AnyID)
		case forkVforkWait:
			b.any() // the child's vfork_done
		}
	case KCgroupWrite:
		switch f.PC {
		case cgwLock:
			b.r(ObjMutex, AnyID)
		case cgwMigrate:
			b.r(ObjTgWriter, AnyID)
			b.r(ObjTgReaders, AnyID)
		}
	case KExit:
		switch f.PC {
		case exitSignals:
			b.r(ObjTgWriter, AnyID)
		case zapWait, zapDrain:
			b.any()
		}
	case KUser, KPause, KIdle:
	default:
		// execve's de_thread, the OOM killer, a core dump: their
		// enabledness reads other threads, oom_lock, the dump's waiters.
		b.any()
	}
}

// StepFootprint appends the footprint of Step(t), t's next kernel step
// (NeedsKernelStep(t) holds), with what its enabledness reads.
func (k *Kernel) StepFootprint(t TaskID, buf []Access) []Access {
	b := fp{k: k, a: buf}
	b.enable(t)
	tk := k.rtask(t)
	if tk.Frozen || tk.Stopped {
		b.any()
		return b.a
	}
	switch tk.Frame.Path {
	case KUser, KPause:
		if !k.signalWork(t) {
			b.any() // a stopped task's no-op
			break
		}
		b.getSignal(self{t: t, ctx: t})
	case KFork:
		b.forkStep(t, tk.Frame.PC)
	case KExit:
		b.exitStep(self{t: t, ctx: t}, tk.Frame.PC)
	case KCgroupWrite:
		b.writeStep(t)
	default:
		b.any()
	}
	return b.a
}

// getSignal is get_signal with a fatal signal pending (SIGKILL or a group
// exit) and do_group_exit; any other signal work is ObjAny.
func (b *fp) getSignal(s self) {
	k := b.k
	b.w(ObjTask, s.id())
	b.w(ObjSig, s.id())
	b.w(ObjGSig, b.group(s))
	b.r(ObjGroup, b.group(s))
	if s.t == NoTask {
		return
	}
	tk := k.rtask(s.t)
	g := k.rgroup(tk.Group)
	if !b.fut && !(g.Flags&SIGNAL_GROUP_EXIT != 0 || tk.Pending.Has(SIGKILL)) {
		b.any()
		return
	}
	// zap_other_threads; synchronize_group_exit reads their frames.
	for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
		if th != s.t {
			b.any() // a thread group
		}
	}
}

// sendKill is sendSignal(SIGKILL, ..., v, ...): group or private pending,
// complete_signal's group exit.
func (b *fp) sendKill(v TaskID) {
	k := b.k
	vk := k.rtask(v)
	if vk.Group == NoGroup {
		// A child its fork has not committed yet (a future: a walk that
		// will reach it once cgroup_post_fork links it): its group will be
		// a new one.
		b.r(ObjTask, int32(v))
		b.w(ObjSig, int32(v))
		b.w(ObjGSig, FreshID)
		b.r(ObjGroup, FreshID)
		return
	}
	g := k.rgroup(vk.Group)
	b.r(ObjGSig, int32(vk.Group))
	if g.CoreState {
		b.any() // a SIGKILL interrupts a core dump: not followed
		return
	}
	if g.Flags&SIGNAL_GROUP_EXIT != 0 {
		return // dropped by prepare_signal, now and for ever
	}
	b.r(ObjTask, int32(v)) // wants_signal, kill's coverage notes
	b.r(ObjGroup, int32(vk.Group))
	b.w(ObjGSig, int32(vk.Group))
	b.w(ObjSig, int32(v))
	b.r(ObjTask, int32(g.Leader)) // is_global_init
	if g.threadHead != g.threadTail || vk.Stopped || vk.Frozen {
		b.any() // zap_other_threads, the end of a stop: not followed
	}
}

// forkStep is the footprint of a fork at pc (with the steps after it that
// run in the same scheduler step).
func (b *fp) forkStep(t TaskID, pc uint8) {
	f := &b.k.mtask(t).Frame
	b.w(ObjTask, int32(t))
	if !plainFork(f.Flags) || f.SetTid[0] != 0 || f.ExitSig != 0 {
		b.any() // clone3's set_tid and exit_signal are not followed
		return
	}
	switch pc {
	case forkStart:
		b.forkStart(t, f.Flags)
	case forkAlloc:
		b.forkAlloc(t)
	case forkCanFork:
		b.forkCanFork(t)
	case forkCommit:
		b.forkCommit(t)
	case forkPost:
		b.forkPost(t)
	default:
		b.any()
	}
}

// plainFork reports whether flags are a plain fork the footprints follow:
// fork(2) itself, no clone flag (CLONE_CLEAR_SIGHAND, CLONE_VFORK,
// CLONE_THREAD, ... are ObjAny).
func plainFork(flags uint32) bool {
	// A list of what is followed, not of what is not: a flag added to
	// the model later is not followed until someone says so here.
	return flags == 0
}

// forkStart: the flag and signal checks, then alloc (and can_fork).
func (b *fp) forkStart(t TaskID, flags uint32) {
	k := b.k
	tk := k.rtask(t)
	b.w(ObjTask, int32(t))
	b.r(ObjSig, int32(t))
	b.r(ObjGSig, int32(tk.Group))
	if k.Opts.ThreadsMax < 1<<29 {
		b.r(ObjNrThreads, AnyID)
	}
	if !plainFork(flags) {
		b.any()
		return
	}
	if !b.fut && (k.signalPending(t) || k.nrThreads >= k.Opts.ThreadsMax) {
		return // fails at once
	}
	b.forkAlloc(t)
}

// forkAlloc: dup_task_struct (a task slot), alloc_pid, then
// cgroup_can_fork unless it must sleep (it reads the locks either way).
func (b *fp) forkAlloc(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	b.w(ObjTask, int32(t))
	b.w(ObjAlloc, AnyID)
	b.allocPid(tk.PidNSForChildren)
	b.r(ObjTgWriter, AnyID)
	if b.fut || k.tgWriter == NoTask {
		b.forkCanFork(t)
	}
}

// allocPid is alloc_pid in ns and its ancestors (PIDNS_ADDING, the 2007
// terminating flag; a failure frees the levels taken and may reset the
// cursor).
func (b *fp) allocPid(ns NSID) {
	k := b.k
	for l := int8(0); l <= k.ns[ns].Level; l++ {
		x := int32(k.nsAt(ns, l))
		b.r(ObjNS, x)
		b.w(ObjPidmap, x)
	}
}

// forkCanFork: the rwsem for reading, the css_set reference, the kill_seq
// snapshot, the pids charge (whose failure cancels the fork).
func (b *fp) forkCanFork(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	b.w(ObjTask, int32(t))
	b.acc(ObjTgReaders, Count, AnyID, AnyID)
	b.acc(ObjCsetRef, Count, int32(tk.Cset), AnyID)
	if k.Opts.Kill != KillFlag {
		b.r(ObjKill, int32(tk.Cgroup))
	}
	if k.pidsOn(tk.Cgroup) {
		b.pids(tk.Cgroup)
		// A charge over pids.max cancels the fork (the child's slot is
		// the newest: a step of this task allocated it).
		b.forkCancel(t, childOf(b, t), true)
	}
}

// childOf is the id of t's fork's child for a footprint: the task (if
// allocated and this is the next step), else FreshID.
func childOf(b *fp, t TaskID) int32 {
	if c := b.k.tasks[t].Frame.Child; c != NoTask && b.k.tasks[t].Frame.Path == KFork {
		return int32(c)
	}
	return FreshID
}

// forkCancel: free the child's pid and slot, uncharge, put the css_set,
// release the rwsem.
func (b *fp) forkCancel(t TaskID, child int32, charged bool) {
	k := b.k
	tk := k.rtask(t)
	b.w(ObjAlloc, AnyID)
	b.w(ObjTask, child)
	b.allocPid(tk.PidNSForChildren) // free_pid of the child's numbers
	if charged {
		b.pids(tk.Cgroup)
	}
	b.csetPut(tk.Cset, false) // t's own reference keeps it
	b.acc(ObjTgReaders, Count, AnyID, AnyID)
}

// forkCommit: the PIDNS_ADDING and fatal-signal re-checks, then the child
// becomes visible: a new thread group, on the parent's children list.
func (b *fp) forkCommit(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	f := &tk.Frame
	b.w(ObjTask, int32(t))
	b.r(ObjSig, int32(t))
	child := childOf(b, t)
	ns := tk.PidNSForChildren
	if !b.fut {
		if f.Child == NoTask {
			b.any()
			return
		}
		ns = k.tasks[f.Child].NS
		b.r(ObjNS, int32(ns))
		if (k.Opts.Zap == ZapCurrent && !k.ns[ns].Adding) || k.FatalSignalPending(t) {
			b.forkCancel(t, child, true)
			return
		}
	} else {
		b.r(ObjNS, int32(ns))
		b.forkCancel(t, child, true)
	}
	b.r(ObjGroup, int32(tk.Group))
	b.w(ObjTask, child)
	b.w(ObjFam, child)
	b.w(ObjAlloc, AnyID) // the new group
	b.acc(ObjChildren, Add, int32(t), child)
	b.acc(ObjNrThreads, Count, AnyID, AnyID)
}

// forkPost is cgroup_post_fork: link the child at the tail of the
// css_set (populated up the tree), the kill decision, the walkPassed
// coverage test, the rwsem, wake_up_new_task.
func (b *fp) forkPost(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	f := &tk.Frame
	child, cs, dst := childOf(b, t), tk.Cset, tk.Cgroup
	if !b.fut {
		if f.Child == NoTask || f.Cset == NoCset {
			b.any()
			return
		}
		cs, dst = f.Cset, f.Cg
	}
	if k.freezing(dst) {
		b.any()
		return
	}
	b.w(ObjTask, int32(t))
	b.w(ObjTask, child)
	b.w(ObjSig, child)
	childGroup := int32(FreshID) // created by the commit
	if child != FreshID && k.tasks[child].Group != NoGroup {
		childGroup = int32(k.tasks[child].Group)
	}
	b.w(ObjGSig, childGroup)
	b.r(ObjGroup, childGroup)
	b.acc(ObjCsetList, Add, int32(cs), child)
	b.popUp(dst, Inc)
	b.freezeUp(dst)
	b.r(ObjKill, int32(dst))
	if k.Opts.PostForkKillIfParentKilled {
		b.r(ObjSig, int32(t))
	}
	// walkPassed: every iterator's position, and the look-ahead over the
	// css_sets of the cgroup it walks.
	b.r(ObjIters, AnyID)
	if b.fut {
		b.r(ObjWalkPos, AnyID)
	}
	for _, it := range k.iters {
		b.r(ObjWalkPos, int32(it))
	}
	for x := k.cgroups[dst].csetHead; x != NoCset; x = k.csets[x].linkNext {
		b.r(ObjCsetLinks, int32(x))
		b.acc(ObjCsetList, Iter, int32(x), AnyID)
	}
	b.acc(ObjTgReaders, Count, AnyID, AnyID)
	if k.Opts.Zap == Zap2007 {
		b.r(ObjNS, AnyID)
	}
}

// exitStep is the footprint of the exit step at pc.
func (b *fp) exitStep(s self, pc uint8) {
	k := b.k
	b.w(ObjTask, s.id())
	if s.t == NoTask {
		b.any()
		return
	}
	tk := k.rtask(s.t)
	g := k.rgroup(tk.Group)
	switch pc {
	case exitSignals:
		b.w(ObjGroup, int32(tk.Group))
		b.r(ObjGSig, int32(tk.Group))
		b.r(ObjTgWriter, AnyID)
		if tk.Frozen || tk.Stopped || k.freezing(tk.Cgroup) {
			b.any()
		}
		if k.isGlobalInit(s.t) {
			b.w(ObjPanic, AnyID)
		}
	case exitCgroup:
		b.cgroupExit(s.t)
	case exitNotify:
		if k.ns[tk.NS].ChildReaper == s.t || g.threadHead != g.threadTail {
			b.any() // the zap, or a thread group
			return
		}
		b.exitNotifyRest(s.t)
	case exitFinalSwitch:
		b.cgroupExit(s.t)
		b.releaseDying(s.t)
		b.csetPut(tk.Cset, b.csetLast(tk.Cset))
	default:
		b.any()
	}
}

// cgroupExit is cgroup_exit(t): off its css_set's tasks list, to the dying
// list if it leads a live group.
func (b *fp) cgroupExit(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	if !b.fut && tk.cgList != onTasks {
		return
	}
	if tk.Cset == NoCset || k.freezing(tk.Cgroup) {
		b.any()
		return
	}
	b.unlink(t)
	b.r(ObjGroup, int32(tk.Group))
	g := k.rgroup(tk.Group)
	if g.threadHead != g.threadTail {
		b.any() // a live group's leader goes to the dying list
	}
}

// unlink is cgUnlink(t) from the tasks list: the list (moving an iterator
// positioned on t), the populated counts, the frozen test.
func (b *fp) unlink(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	b.acc(ObjCsetList, Remove, int32(tk.Cset), int32(t))
	b.popUp(tk.Cgroup, Dec)
	b.freezeUp(tk.Cgroup)
	// css_set_skip_task_iters moves an iterator positioned on t: that is
	// part of the list's state, and a walk positioned on t declares
	// Iter(t), which conflicts with the Remove.
}

// releaseDying is cgroup_release's unlink of a dying leader: only a
// thread group's leader is ever on a dying list.
func (b *fp) releaseDying(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	if tk.cgList == onDying || (tk.Group != NoGroup && k.groups[tk.Group].threadHead != k.groups[tk.Group].threadTail) {
		b.any()
	}
}

// sigchldHandled reports whether a SIGCHLD may be queued (and wake a
// task): some live thread group has a handler for it. Setting one is a
// sigaction, which is ObjAny.
func (k *Kernel) sigchldHandled() bool {
	for i := range k.groups {
		if l := k.groups[i].Leader; l == NoTask || k.tasks[l].Exit == ExitDead {
			continue
		}
		if a := k.rgroup(GroupID(i)).Action(SIGCHLD); a == HandlerReturn || a == HandlerExit {
			return true
		}
	}
	return false
}

// exitNotifyRest: reparent the children, become a zombie, notify the
// parent, be released if autoreaped, drop the css_set reference.
func (b *fp) exitNotifyRest(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	b.w(ObjTask, int32(t))
	b.r(ObjNS, int32(tk.NS))
	b.r(ObjNS, int32(RootNS))
	b.r(ObjFam, int32(t))
	b.r(ObjChildren, int32(t))
	b.r(ObjGroup, int32(tk.Group))
	if tk.ExitSignal != SIGCHLD {
		b.any() // clone3's exit_signal (or 0): another signal to the parent, no autoreap
	}
	if b.fut || tk.childHead != NoTask {
		b.reparent(t)
	}
	// do_notify_parent: the parent's SIGCHLD disposition decides autoreap.
	// In a future the parent may be the reaper by then.
	p := tk.Parent
	autoreap := true
	if p != NoTask {
		pg := k.rgroup(k.tasks[p].Group)
		b.r(ObjGroup, int32(k.tasks[p].Group))
		autoreap = pg.Action(SIGCHLD) == SigIgnore || pg.NoCldWait
	}
	if b.fut {
		b.readReaper(tk.NS)
	}
	if k.sigchldHandled() {
		b.w(ObjGSig, AnyID)
		b.w(ObjSig, AnyID)
	}
	if autoreap || b.fut {
		b.release(t)
		b.csetPut(tk.Cset, b.csetLast(tk.Cset))
	}
}

// readReaper reads the group of the task that would reap an orphan of
// namespace ns (its child reaper; the root init for the root namespace).
func (b *fp) readReaper(ns NSID) {
	k := b.k
	if r := k.ns[ns].ChildReaper; r != NoTask {
		b.r(ObjGroup, int32(k.tasks[r].Group))
	} else {
		b.r(ObjGroup, AnyID)
	}
	if ns != RootNS {
		b.r(ObjGroup, AnyID)
	}
}

// reparent is forget_original_parent: the reaper is found up the ancestry
// (subreapers) or is the namespace's child reaper; every child (and its
// threads) gets it as parent, and a zombie child may be released at once.
func (b *fp) reparent(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	g := k.rgroup(tk.Group)
	if g.HasChildSubreaper || tk.NS != RootNS || k.ns[tk.NS].ReaperToInit {
		b.any() // subreapers, a namespace's reaper: not followed
		return
	}
	reaper := int32(k.ns[RootNS].ChildReaper)
	b.w(ObjChildren, int32(t))
	for c := tk.childHead; c != NoTask; c = k.tasks[c].sibNext {
		if cg := k.rgroup(k.tasks[c].Group); cg.threadHead != cg.threadTail {
			b.any()
			return
		}
		b.w(ObjFam, int32(c))
		b.r(ObjTask, int32(c))
		b.r(ObjGroup, int32(k.tasks[c].Group))
		b.acc(ObjChildren, Add, reaper, int32(c))
		b.r(ObjGroup, int32(k.tasks[reaper].Group))
		// A zombie child is released at once. (In a future, a child that
		// is not one yet must take its own exit steps first: its own
		// future has its release.)
		if k.tasks[c].Exit == ExitZombie {
			b.release(c)
		}
	}
	if b.fut {
		// Children forked before t dies.
		b.w(ObjFam, FreshID)
		b.acc(ObjChildren, Add, reaper, FreshID)
		b.r(ObjGroup, int32(k.tasks[reaper].Group))
	}
}

// release is release_task(t) of a single-threaded process: pids
// uncharge, off the thread list and the parent's children list, free_pid.
func (b *fp) release(t TaskID) {
	k := b.k
	tk := k.rtask(t)
	if tk.Group == NoGroup {
		return
	}
	g := k.rgroup(tk.Group)
	if g.Leader != t || g.threadHead != g.threadTail || !k.plainPgrp(t) {
		b.any() // threads: the leader's delayed release; process groups
		return
	}
	b.w(ObjTask, int32(t))
	b.w(ObjGroup, int32(tk.Group))
	b.pids(tk.Cgroup)
	b.releaseDying(t)
	b.acc(ObjNrThreads, Count, AnyID, AnyID)
	b.r(ObjFam, int32(t))
	b.acc(ObjChildren, Remove, int32(tk.Parent), int32(t))
	if b.fut {
		// A reparenting may change the parent first: to the reaper.
		if tk.NS != RootNS || k.ns[RootNS].ReaperToInit || tk.Parent != NoTask && k.groups[k.tasks[tk.Parent].Group].HasChildSubreaper {
			b.acc(ObjChildren, Remove, AnyID, int32(t))
		} else if r := k.ns[RootNS].ChildReaper; r != NoTask {
			b.acc(ObjChildren, Remove, int32(r), int32(t))
		}
	}
	for l := int8(0); l <= tk.Level; l++ {
		ns := k.nsAt(tk.NS, l)
		b.r(ObjNS, int32(ns))
		if k.ns[ns].ChildReaper == NoTask {
			b.w(ObjNS, int32(ns)) // the first process of a namespace: PIDNS_ADDING
		}
		b.acc(ObjPidmap, Remove, int32(ns), k.upids[tk.pidOff+int32(l)])
	}
	if tk.Exit == ExitZombie || b.fut {
		// Reaped after its final switch: its css_set reference goes too.
		b.csetPut(tk.Cset, b.csetLast(tk.Cset))
	}
}

// plainPgrp reports whether t's release (releasePid) only drops its own
// group's process group and session references without freeing anyone
// else's pid: t's pid is no process's group or session, and its group's
// are held by tasks not yet released. Only setpgid, setsid (ObjAny) and
// releases change that, so a release that is plain now stays plain until
// an ObjAny step.
func (k *Kernel) plainPgrp(t TaskID) bool {
	for i := range k.groups {
		if g := k.rgroup(GroupID(i)); g.Pgid == t || g.Sid == t {
			return false
		}
	}
	g := k.rgroup(k.tasks[t].Group)
	for _, o := range []TaskID{g.Pgid, g.Sid} {
		if o != NoTask && !k.tasks[o].pidAttached {
			return false
		}
	}
	return true
}

// writeStep is the footprint of a cgroup file write's step: the kill in
// detail, anything else ObjAny.
func (b *fp) writeStep(t TaskID) {
	k := b.k
	f := &k.rtask(t).Frame
	if CgroupFile(f.Arg) != FileKill {
		b.any()
		return
	}
	b.w(ObjTask, int32(t))
	switch f.PC {
	case cgwLock:
		b.killLock(t, f.Cg)
	case killStart:
		b.w(ObjWalkPos, int32(t))
		b.w(ObjKill, int32(f.Cur))
	case killIterStart, killIterate:
		b.walkStep(t)
	case killSignal:
		b.w(ObjWalkPos, int32(t))
		b.killOne(f.Child)
	default:
		b.any()
	}
}

// killLock is the write's step under cgroup_mutex: the atomic kill whole,
// or kill_seq++ / CGRP_KILL set and the iterator registered.
func (b *fp) killLock(t TaskID, c CgroupID) {
	k := b.k
	b.w(ObjMutex, AnyID)
	b.r(ObjCgConf, AnyID)
	b.w(ObjWalkPos, int32(t))
	if c < 0 || int(c) >= len(k.cgroups) || k.cgroups[c].Threaded || !k.cgroups[c].Online {
		return
	}
	if k.Opts.KillSignalUnderCssSetLock {
		b.any()
		return
	}
	if k.Opts.Kill == KillAtomic {
		for d := c; d != NoCgroup; d = k.nextPre(d, c) {
			b.w(ObjKill, int32(d))
			b.readCsets(d)
			for _, v := range k.ProcsOf(d) {
				b.killOne(v)
			}
			if b.fut {
				b.killFresh()
			}
		}
		return
	}
	b.w(ObjIters, AnyID)
	b.w(ObjKill, int32(c))
}

// killFresh is a kill of tasks that do not exist yet.
func (b *fp) killFresh() {
	b.w(ObjSig, FreshID)
	b.w(ObjGSig, FreshID)
	b.r(ObjGroup, FreshID)
	b.r(ObjTask, FreshID)
}

// readCsets reads the css_set lists of c as a whole walk does (an atomic
// kill, a walk's future): every element, and the ends.
func (b *fp) readCsets(c CgroupID) {
	k := b.k
	for cs := k.cgroups[c].csetHead; cs != NoCset; cs = k.csets[cs].linkNext {
		b.r(ObjCsetLinks, int32(cs))
		b.acc(ObjCsetList, Iter, int32(cs), AnyID)
		b.csetPut(cs, false)
		for x := k.csets[cs].tcHead; x != NoCset; x = k.csets[x].tcNext {
			b.any() // threaded css_sets: not followed
		}
	}
	for _, v := range k.Members(c) {
		b.r(ObjGroup, int32(k.tasks[v].Group))
	}
	for _, v := range k.DyingMembers(c) {
		b.r(ObjGroup, int32(k.tasks[v].Group))
	}
}

// walkStep is css_task_iter_start or css_task_iter_next (and, at the end
// of the walk, the clear and the return that follow in the same step):
// the elements the advance goes over, the css_sets it pins and unpins.
func (b *fp) walkStep(t TaskID) {
	k := b.k
	f := k.tasks[t].Frame // a copy: the simulation below moves it
	b.w(ObjTask, int32(t))
	b.w(ObjWalkPos, int32(t))
	if k.Opts.KillSignalUnderCssSetLock {
		b.any()
		return
	}
	if f.PC == killIterStart {
		f.Cset, f.Dcset, f.Iter, f.iterList, f.iterSkipped = NoCset, NoCset, NoTask, onNoList, false
		b.advance(&f, true)
		return
	}
	if f.iterSkipped {
		b.advance(&f, false)
	}
	if f.iterList == onNoList {
		b.killClear(t)
		return
	}
	b.iterElem(&f)
	b.advance(&f, false)
}

// iterElem records that the walk reads the element at the position.
func (b *fp) iterElem(f *Frame) {
	if f.iterList == onNoList || f.Iter == NoTask {
		return
	}
	b.acc(ObjCsetList, Iter, int32(f.Cset), int32(f.Iter))
	b.r(ObjGroup, int32(b.k.tasks[f.Iter].Group))
}

// advance follows iterAdvance (with IterProcs|IterThreaded) on a copy of
// the frame and records what it reads: each element it steps over or stops
// at, each list end, and the css_sets it pins.
func (b *fp) advance(f *Frame, start bool) {
	k := b.k
	for {
		if start {
			b.advanceCset(f)
			start = false
		} else {
			if f.iterSkipped {
				f.iterSkipped = false
			} else {
				b.iterElem(f)
				f.Iter = k.tasks[f.Iter].cgNext
			}
			if f.iterList == onTasks && f.Iter == NoTask {
				b.acc(ObjCsetList, Iter, int32(f.Cset), ElemTail)
				f.Iter, f.iterList = k.csets[f.Cset].dyingHead, onDying
			}
			if f.iterList == onDying && f.Iter == NoTask {
				b.acc(ObjCsetList, Iter, int32(f.Cset), ElemTail)
				b.advanceCset(f)
			}
		}
		if f.iterList == onNoList {
			return
		}
		v := f.Iter
		b.iterElem(f)
		if !k.IsLeader(v) {
			continue
		}
		if f.iterList == onDying && k.groups[k.tasks[v].Group].Live == 0 {
			continue
		}
		return
	}
}

// advanceCset follows iterAdvanceCset: the next css_set with a task, the
// pins moved onto it.
func (b *fp) advanceCset(f *Frame) {
	k := b.k
	for {
		if f.Dcset != NoCset && k.csets[f.Dcset].tcHead != NoCset {
			b.any() // threaded css_sets: not followed
		}
		l := k.cgroups[f.Cur].csetHead
		if f.Dcset != NoCset {
			l = k.csets[f.Dcset].linkNext
		}
		if l == NoCset {
			f.Iter, f.iterList = NoTask, onNoList
			return
		}
		b.r(ObjCsetLinks, int32(l))
		b.csetGet(l)
		b.csetDrop(f.Dcset)
		f.Dcset = l
		x := k.rcset(l)
		b.acc(ObjCsetList, Iter, int32(l), ElemTail)
		switch {
		case x.taskHead != NoTask:
			f.Iter, f.iterList = x.taskHead, onTasks
		case x.dyingHead != NoTask:
			f.Iter, f.iterList = x.dyingHead, onDying
		default:
			continue
		}
		if l != f.Cset {
			b.csetGet(l)
			b.csetDrop(f.Cset)
		}
		f.Cset = l
		return
	}
}

// killClear is the end of a cgroup's walk: CGRP_KILL cleared, the
// iterator dropped, the next cgroup (not followed: a subtree is ObjAny),
// or the write's return.
func (b *fp) killClear(t TaskID) {
	k := b.k
	f := &k.rtask(t).Frame
	b.w(ObjWalkPos, int32(t))
	b.w(ObjKill, int32(f.Cur))
	b.w(ObjIters, AnyID)
	b.csetDrop(f.Cset)
	b.csetDrop(f.Dcset)
	b.r(ObjCgConf, AnyID)
	b.w(ObjMutex, AnyID)
	if b.fut || k.nextPre(f.Cur, f.Cg) != NoCgroup {
		b.any()
	}
}

// killOne is __cgroup_kill's body for v: skip a kthread or a task with
// SIGKILL pending, else send it SIGKILL (with the coverage notes' reads).
func (b *fp) killOne(v TaskID) {
	if v == NoTask {
		b.any()
		return
	}
	b.r(ObjSig, int32(v))
	b.r(ObjTask, int32(v))
	if g := b.k.tasks[v].Group; g != NoGroup {
		b.r(ObjGroup, int32(g))
	}
	if !b.fut && b.k.FatalSignalPending(v) {
		return
	}
	b.sendKill(v)
}

// CallKind is the kind of system call a user step issues, as far as the
// footprints tell them apart.
type CallKind uint8

// Call kinds.
const (
	// CallOther is anything the footprints do not follow: ObjAny.
	CallOther CallKind = iota
	// CallNone is a user step that issues no call (a loop, a spin, the wake
	// from a condition).
	CallNone
	// CallPause is pause(2).
	CallPause
	// CallExit is exit(2) or exit_group(2), or the end of the program.
	CallExit
	// CallFork is clone with Flags (and Cg for CLONE_INTO_CGROUP).
	CallFork
	// CallKill is kill(2) of Target with Sig (NoTask: the pid names no
	// process; AnyID in a future: any process).
	CallKill
	// CallWrite is a write to File of Cg.
	CallWrite
	// CallRead is a read of cgroup state (a file, a directory).
	CallRead
)

// Call describes a system call for its footprint.
type Call struct {
	Kind   CallKind
	Flags  uint32
	Cg     CgroupID
	File   CgroupFile
	Target TaskID
	Sig    Signal
	// Path: the cgroup was named by a path, resolved when the call is
	// issued (it reads the cgroup tree).
	Path bool
}

// CallFootprint appends the footprint of t's user step issuing c (the
// system call's first kernel step runs in it), with what t's enabledness
// reads.
func (k *Kernel) CallFootprint(t TaskID, c Call, buf []Access) []Access {
	b := fp{k: k, a: buf}
	b.enable(t)
	b.w(ObjTask, int32(t))
	if c.Path {
		b.r(ObjCgConf, AnyID)
	}
	tk := k.rtask(t)
	switch c.Kind {
	case CallNone, CallPause:
	case CallExit:
		b.exitEntry(self{t: t, ctx: t})
	case CallFork:
		b.forkStart(t, c.Flags)
	case CallKill:
		b.r(ObjPidmap, AnyID) // find_task_by_vpid
		switch {
		case c.Sig == 0 || c.Target == NoTask:
		case c.Sig == SIGKILL:
			b.sendKill(c.Target)
		default:
			b.any()
		}
	case CallWrite:
		if c.File != FileKill {
			b.any()
			break
		}
		b.r(ObjCgConf, int32(c.Cg))
		b.r(ObjMutex, AnyID)
		if k.cgroupMutex == NoTask || k.cgroupMutex == t {
			b.killLock(t, c.Cg)
		}
	case CallRead:
		b.readAll()
	default:
		b.any()
	}
	if tk.Group != NoGroup && k.groups[tk.Group].threadHead != k.groups[tk.Group].threadTail {
		b.any() // a thread group: its threads' exits and signals are not followed
	}
	return b.a
}

// exitEntry is do_exit / do_group_exit of a single-threaded process up to
// and including exit_signals, which runs in the same step unless a
// migration holds the threadgroup rwsem.
func (b *fp) exitEntry(s self) {
	b.w(ObjTask, s.id())
	b.w(ObjGroup, b.group(s))
	b.w(ObjGSig, b.group(s))
	b.r(ObjTgWriter, AnyID)
	if s.t != NoTask && b.k.isGlobalInit(s.t) {
		b.w(ObjPanic, AnyID)
	}
}

// PathFuture appends the footprint of everything the rest of t's current
// kernel path may do (nothing in user mode or pause: see CallFuture and
// DeathFuture), whatever other tasks do meanwhile.
func (k *Kernel) PathFuture(t TaskID, buf []Access) []Access {
	b := fp{k: k, a: buf, fut: true}
	tk := k.rtask(t)
	f := &tk.Frame
	// What its steps' enabledness reads.
	b.r(ObjTask, int32(t))
	b.r(ObjSig, int32(t))
	if tk.Group != NoGroup {
		b.r(ObjGSig, int32(tk.Group))
	}
	if tk.Frozen || tk.Stopped || tk.trapFreeze || tk.handlerExit {
		b.any() // handlerExit: the handler's exit_group(0) is not followed
		return b.a
	}
	switch f.Path {
	case KUser, KPause, KIdle:
	case KFork:
		if !plainFork(f.Flags) || f.SetTid[0] != 0 || f.ExitSig != 0 {
			b.any()
			break
		}
		b.w(ObjTask, int32(t))
		b.r(ObjMutex, AnyID)
		b.r(ObjTgWriter, AnyID)
		if f.PC <= forkAlloc {
			b.forkAlloc(t)
		}
		if f.PC <= forkCanFork {
			b.forkCanFork(t)
		}
		if f.PC <= forkCommit {
			b.forkCommit(t)
		}
		b.forkPost(t)
	case KExit:
		b.exitFuture(t, f.PC)
	case KCgroupWrite:
		if CgroupFile(f.Arg) != FileKill || f.PC < killStart {
			b.any()
			break
		}
		b.walkFuture(t)
	default:
		b.any()
	}
	return b.a
}

// exitFuture is every exit step from pc on, every branch.
func (b *fp) exitFuture(t TaskID, pc uint8) {
	k := b.k
	tk := k.rtask(t)
	g := k.rgroup(tk.Group)
	if g.threadHead != g.threadTail || k.ns[tk.NS].ChildReaper == t || pc > exitNotify && pc != exitFinalSwitch {
		b.any() // threads, the zap
		return
	}
	b.w(ObjTask, int32(t))
	b.r(ObjTgWriter, AnyID)
	if pc <= exitSignals {
		b.w(ObjGroup, int32(tk.Group))
		if k.isGlobalInit(t) {
			b.w(ObjPanic, AnyID)
		}
	}
	if tk.Cset == NoCset {
		b.any()
		return
	}
	if pc <= exitCgroup || k.Opts.Populated == PopulatedAtFinalSwitch {
		b.cgroupExit(t)
	}
	if pc <= exitNotify {
		b.exitNotifyRest(t)
	}
	b.csetPut(tk.Cset, true)
}

// walkFuture is the rest of a cgroup.kill walk: the elements ahead of its
// position in the current cgroup's css_sets, the tasks it will signal,
// children that forks in flight (or later) link at a tail it has not
// reached, the clear and the return. A walk of a subtree is ObjAny.
func (b *fp) walkFuture(t TaskID) {
	k := b.k
	f := k.tasks[t].Frame // a copy
	b.w(ObjTask, int32(t))
	b.w(ObjWalkPos, int32(t))
	if k.Opts.KillSignalUnderCssSetLock || k.nextPre(f.Cur, f.Cg) != NoCgroup || f.Cur != f.Cg {
		b.any()
		return
	}
	switch f.PC {
	case killStart:
		b.w(ObjKill, int32(f.Cur))
		fallthrough
	case killIterStart:
		f.Cset, f.Dcset, f.Iter, f.iterList, f.iterSkipped = NoCset, NoCset, NoTask, onNoList, false
		b.walkRest(&f, true)
	case killSignal:
		b.killOne(f.Child)
		b.walkRest(&f, false)
	case killIterate:
		b.walkRest(&f, false)
	case killClear:
	default:
		b.any()
		return
	}
	b.killClearFuture(t)
}

// walkRest follows the walk to its end on a copy of the frame, as if
// nothing changed, recording what it reads and signals; then everything a
// change made meanwhile can add: a task linked at a tail not yet reached
// (a fork's child), a live group's leader put on a dying list.
func (b *fp) walkRest(f *Frame, start bool) {
	k := b.k
	if f.iterSkipped || start {
		b.advance(f, start)
	}
	for f.iterList != onNoList {
		v := f.Iter
		b.iterElem(f)
		b.killOne(v)
		b.advance(f, false)
	}
	// Children linked later, at the tail of any css_set of the cgroup: a
	// fork's child whose commit or post_fork is still to come, or one not
	// forked yet.
	for i := range k.tasks {
		if fr := &k.rtask(TaskID(i)).Frame; fr.Path == KFork && fr.Child != NoTask {
			b.killOne(fr.Child)
			for x := k.cgroups[f.Cur].csetHead; x != NoCset; x = k.csets[x].linkNext {
				b.acc(ObjCsetList, Iter, int32(x), int32(fr.Child))
			}
		}
	}
	for x := k.cgroups[f.Cur].csetHead; x != NoCset; x = k.csets[x].linkNext {
		b.acc(ObjCsetList, Iter, int32(x), FreshID)
	}
	b.killFresh()
}

func (b *fp) killClearFuture(t TaskID) {
	b.w(ObjKill, AnyID)
	b.w(ObjIters, AnyID)
	b.acc(ObjCsetRef, Count, AnyID, AnyID)
	b.w(ObjCsetLinks, AnyID)
	b.acc(ObjCsetOrder, Count, AnyID, AnyID)
	b.r(ObjCgConf, AnyID)
	b.w(ObjMutex, AnyID)
}

// CallFuture appends the footprint of everything system call c may do,
// from its entry to its return, when issued by t, or (fresh) by a child of
// t that t has not forked yet.
func (k *Kernel) CallFuture(t TaskID, fresh bool, c Call, buf []Access) []Access {
	b := fp{k: k, a: buf, fut: true}
	s := self{t: t, ctx: t}
	if fresh {
		s = self{t: NoTask, ctx: t, parent: t}
	}
	b.w(ObjTask, s.id())
	b.r(ObjSig, s.id())
	b.r(ObjGSig, b.group(s))
	if c.Path {
		b.r(ObjCgConf, AnyID)
	}
	switch c.Kind {
	case CallNone, CallPause:
	case CallExit:
		b.deathFuture(s)
	case CallFork:
		if !plainFork(c.Flags) || fresh {
			// A fresh task's fork: its child's objects are fresh too; the
			// shared ones are those of its context.
			if !plainFork(c.Flags) {
				b.any()
				break
			}
		}
		b.forkFuture(s)
	case CallKill:
		b.r(ObjPidmap, AnyID)
		if c.Sig == SIGKILL {
			b.w(ObjSig, AnyID)
			b.w(ObjGSig, AnyID)
			b.r(ObjGroup, AnyID)
			b.r(ObjTask, AnyID)
		} else if c.Sig != 0 {
			b.any()
		}
	case CallWrite:
		if c.File != FileKill {
			b.any()
			break
		}
		b.killWriteFuture(s, c.Cg)
	case CallRead:
		b.readAll()
	default:
		b.any()
	}
	return b.a
}

// forkFuture is a whole plain fork by s, in s's context.
func (b *fp) forkFuture(s self) {
	k := b.k
	ctx := k.rtask(s.ctx)
	id := s.id()
	b.w(ObjTask, id)
	b.r(ObjSig, id)
	b.r(ObjGSig, b.group(s))
	b.r(ObjGroup, b.group(s))
	if k.Opts.ThreadsMax < 1<<29 {
		b.r(ObjNrThreads, AnyID)
	}
	b.w(ObjAlloc, AnyID)
	b.allocPid(ctx.PidNSForChildren)
	b.r(ObjMutex, AnyID)
	b.r(ObjTgWriter, AnyID)
	b.acc(ObjTgReaders, Count, AnyID, AnyID)
	b.csetPut(ctx.Cset, false) // the parent's own reference keeps it
	if k.Opts.Kill != KillFlag {
		b.r(ObjKill, int32(ctx.Cgroup))
	}
	b.pids(ctx.Cgroup)
	b.w(ObjTask, FreshID)
	b.w(ObjFam, FreshID)
	b.w(ObjSig, FreshID)
	b.w(ObjGroup, FreshID)
	b.w(ObjGSig, FreshID)
	b.acc(ObjChildren, Add, id, FreshID)
	b.acc(ObjNrThreads, Count, AnyID, AnyID)
	// cgroup_post_fork.
	dst := ctx.Cgroup
	if k.freezing(dst) {
		b.any()
		return
	}
	b.acc(ObjCsetList, Add, int32(ctx.Cset), FreshID)
	b.popUp(dst, Inc)
	b.freezeUp(dst)
	b.r(ObjKill, int32(dst))
	b.r(ObjIters, AnyID)
	b.r(ObjWalkPos, AnyID)
	for x := k.cgroups[dst].csetHead; x != NoCset; x = k.csets[x].linkNext {
		b.r(ObjCsetLinks, int32(x))
		b.acc(ObjCsetList, Iter, int32(x), AnyID)
	}
	if k.Opts.Zap == Zap2007 {
		b.r(ObjNS, AnyID)
	}
}

// killWriteFuture is a whole write of "1" to c's cgroup.kill: every
// cgroup of the subtree, every task in it now, and children linked there
// later.
func (b *fp) killWriteFuture(s self, c CgroupID) {
	k := b.k
	b.w(ObjTask, s.id())
	b.w(ObjWalkPos, s.id())
	b.w(ObjMutex, AnyID)
	b.r(ObjCgConf, AnyID)
	b.w(ObjIters, AnyID)
	if k.Opts.KillSignalUnderCssSetLock || c < 0 || int(c) >= len(k.cgroups) {
		b.any()
		return
	}
	for d := c; d != NoCgroup; d = k.nextPre(d, c) {
		b.w(ObjKill, int32(d))
		b.readCsets(d)
		for _, v := range k.Members(d) {
			b.killOne(v)
		}
		for _, v := range k.DyingMembers(d) {
			b.killOne(v)
		}
	}
	for i := range k.tasks {
		if fr := &k.rtask(TaskID(i)).Frame; fr.Path == KFork && fr.Child != NoTask {
			b.killOne(fr.Child)
		}
	}
	b.killFresh()
	b.killClearFuture(s.t)
}

// DeathFuture appends the footprint of t's death, or (fresh) of the death
// of a child t has not forked yet: get_signal's group exit and every exit
// step, whatever happens meanwhile.
func (k *Kernel) DeathFuture(t TaskID, fresh bool, buf []Access) []Access {
	b := fp{k: k, a: buf, fut: true}
	s := self{t: t, ctx: t}
	if fresh {
		s = self{t: NoTask, ctx: t, parent: t}
	}
	b.deathFuture(s)
	return b.a
}

func (b *fp) deathFuture(s self) {
	k := b.k
	b.getSignal(s)
	b.exitEntry(s)
	if s.t != NoTask {
		tk := k.rtask(s.t)
		if tk.Frame.Path == KExit {
			b.exitFuture(s.t, tk.Frame.PC)
		} else {
			b.exitFuture(s.t, exitSignals)
		}
		return
	}
	// A fresh child, in the css_set, cgroup and namespace of its parent:
	// what exitFuture gives an existing task (cgroup_exit, exit_notify
	// with the reparenting of its own children and its release), with
	// the child's objects fresh.
	ctx := k.rtask(s.ctx)
	if ctx.Cset == NoCset || k.freezing(ctx.Cgroup) {
		b.any()
		return
	}
	if ctx.NS != RootNS || k.groups[ctx.Group].HasChildSubreaper || k.ns[ctx.NS].ReaperToInit {
		b.any() // subreapers, a namespace's reaper: not followed
		return
	}
	reaper := k.ns[RootNS].ChildReaper
	// cgroup_exit.
	b.acc(ObjCsetList, Remove, int32(ctx.Cset), FreshID)
	b.popUp(ctx.Cgroup, Dec)
	b.freezeUp(ctx.Cgroup)
	// exit_notify: its own children go to the reaper.
	b.r(ObjNS, int32(ctx.NS))
	b.r(ObjNS, int32(RootNS))
	b.r(ObjFam, FreshID)
	b.w(ObjChildren, FreshID)
	b.w(ObjFam, FreshID)
	b.acc(ObjChildren, Add, int32(reaper), FreshID)
	b.r(ObjGroup, int32(k.tasks[reaper].Group))
	b.r(ObjGroup, int32(ctx.Group)) // the parent's SIGCHLD disposition
	if k.sigchldHandled() {
		b.w(ObjGSig, AnyID)
		b.w(ObjSig, AnyID)
	}
	// release_task, by itself (autoreap) or by whoever reaps it.
	b.w(ObjGroup, FreshID)
	b.pids(ctx.Cgroup)
	b.acc(ObjNrThreads, Count, AnyID, AnyID)
	b.acc(ObjChildren, Remove, int32(s.ctx), FreshID)
	b.acc(ObjChildren, Remove, int32(reaper), FreshID)
	for l := int8(0); l <= ctx.Level; l++ {
		ns := k.nsAt(ctx.NS, l)
		b.r(ObjNS, int32(ns))
		b.acc(ObjPidmap, Remove, int32(ns), AnyID)
	}
	b.csetPut(ctx.Cset, true)
}

// EnableFootprint appends what t's enabledness reads (Runnable,
// NeedsKernelStep): a step that writes one of these objects may wake or
// block t.
func (k *Kernel) EnableFootprint(t TaskID, buf []Access) []Access {
	b := fp{k: k, a: buf}
	b.enable(t)
	if tk := k.rtask(t); tk.newTask || tk.Group == NoGroup {
		b.w(ObjTask, int32(t)) // placeholder: only its fork's steps touch it
		b.a = b.a[:len(b.a)-1]
	}
	return b.a
}

// Newborn reports TASK_NEW: the task is committed by its fork but not yet
// woken by wake_up_new_task (cgroup_post_fork's step).
func (t *Task) Newborn() bool { return t.newTask }

// ChangedObjects appends a Write for every object whose fields differ
// between prev and k, where k is prev after one step of task stepper
// (an iterator that another task's step moved off an unlinked task is a
// change of the list it walks). It is for testing
// footprints: every object a step changes must be written by an access of
// its footprint. A change to a list link is reported on the list (an
// ObjChildren of the old or the new parent, an ObjCsetList of the old or
// the new css_set: both are reported); a new task, group or namespace (and
// any change of the tables' sizes) on ObjAlloc only: no other step can
// touch an object before it exists.
func (k *Kernel) ChangedObjects(prev *Kernel, stepper TaskID, buf []Access) []Access {
	w := func(kind ObjKind, id int32) { buf = append(buf, Access{kind, Write, id, AnyID}) }
	if len(k.tasks) != len(prev.tasks) || len(k.groups) != len(prev.groups) || len(k.ns) != len(prev.ns) ||
		len(k.upids) != len(prev.upids) {
		w(ObjAlloc, AnyID)
	}
	if len(k.cgroups) != len(prev.cgroups) || len(k.csets) != len(prev.csets) || len(k.names) != len(prev.names) {
		w(ObjAny, AnyID)
	}
	for i := range k.tasks {
		a := &k.tasks[i]
		id := int32(i)
		if i >= len(prev.tasks) {
			continue // a new task: ObjAlloc
		}
		p := &prev.tasks[i]
		if a.Pending != p.Pending {
			w(ObjSig, id)
		}
		if a.Parent != p.Parent || a.ExitSignal != p.ExitSignal {
			w(ObjFam, id)
		}
		if a.childHead != p.childHead || a.childTail != p.childTail {
			w(ObjChildren, id)
		}
		if a.sibNext != p.sibNext || a.sibPrev != p.sibPrev {
			w(ObjChildren, int32(a.Parent))
			w(ObjChildren, int32(p.Parent))
		}
		if a.thrNext != p.thrNext || a.thrPrev != p.thrPrev {
			w(ObjGroup, int32(a.Group))
		}
		if a.cgNext != p.cgNext || a.cgPrev != p.cgPrev || a.cgList != p.cgList {
			w(ObjCsetList, int32(a.Cset))
			w(ObjCsetList, int32(p.Cset))
		}
		fa, fp := a.Frame, p.Frame
		if a.Frame.Path == KCgroupWrite || p.Frame.Path == KCgroupWrite {
			if fa.Iter != fp.Iter || fa.iterSkipped != fp.iterSkipped || fa.iterList != fp.iterList ||
				fa.Cset != fp.Cset || fa.Dcset != fp.Dcset || fa.Cur != fp.Cur {
				if TaskID(i) == stepper {
					w(ObjWalkPos, id)
				} else {
					w(ObjCsetList, int32(fp.Cset)) // css_task_iter_skip
				}
			}
			fa.Iter, fa.iterSkipped, fa.iterList, fa.Cset, fa.Dcset, fa.Cur = fp.Iter, fp.iterSkipped, fp.iterList, fp.Cset, fp.Dcset, fp.Cur
		}
		// Everything else of the task (whole struct, so that a field
		// added later is covered): its execution state.
		ra, rp := *a, *p
		ra.Frame, rp.Frame = fa, fp
		ra.Pending, ra.Parent, ra.ExitSignal, ra.childHead, ra.childTail = rp.Pending, rp.Parent, rp.ExitSignal, rp.childHead, rp.childTail
		ra.sibNext, ra.sibPrev, ra.thrNext, ra.thrPrev = rp.sibNext, rp.sibPrev, rp.thrNext, rp.thrPrev
		ra.cgNext, ra.cgPrev, ra.cgList = rp.cgNext, rp.cgPrev, rp.cgList
		if ra != rp {
			w(ObjTask, id)
		}
	}
	for i := range k.groups {
		a := &k.groups[i]
		id := int32(i)
		if i >= len(prev.groups) {
			continue // a new group: ObjAlloc
		}
		p := &prev.groups[i]
		if a.Shared != p.Shared || a.Flags != p.Flags || a.GroupExitCode != p.GroupExitCode ||
			a.GroupExec != p.GroupExec || a.OomVictim != p.OomVictim || a.CoreState != p.CoreState || a.coreWaiters != p.coreWaiters {
			w(ObjGSig, id)
		}
		// The rest of the group (whole struct: a field added later is
		// covered).
		ra, rp := *a, *p
		ra.Shared, ra.Flags, ra.GroupExitCode, ra.GroupExec, ra.OomVictim = rp.Shared, rp.Flags, rp.GroupExitCode, rp.GroupExec, rp.OomVictim
		ra.CoreState, ra.coreWaiters = rp.CoreState, rp.coreWaiters
		if ra != rp {
			w(ObjGroup, id)
		}
	}
	for i := range k.ns {
		if i >= len(prev.ns) {
			continue // a new namespace: ObjAlloc
		}
		a, p := &k.ns[i], &prev.ns[i]
		if a.ChildReaper != p.ChildReaper || a.Adding != p.Adding || a.Terminating != p.Terminating || a.ReaperToInit != p.ReaperToInit || a.PidMax != p.PidMax {
			w(ObjNS, int32(i))
		}
		if a.Allocated != p.Allocated || a.cursor != p.cursor || len(a.idr) != len(p.idr) || a.idrDead != p.idrDead {
			w(ObjPidmap, int32(i))
		} else {
			for j := range a.idr {
				if a.idr[j] != p.idr[j] {
					w(ObjPidmap, int32(i))
					break
				}
			}
		}
	}
	for i := range k.cgroups {
		if i >= len(prev.cgroups) {
			continue // reported as ObjAny above
		}
		a, p := &k.cgroups[i], &prev.cgroups[i]
		id := int32(i)
		if a.KillFlag != p.KillFlag || a.KillSeq != p.KillSeq {
			w(ObjKill, id)
		}
		if a.Freeze != p.Freeze {
			w(ObjFreeze, id)
		}
		if a.NrTasks != p.NrTasks || a.nrPopulatedChildren != p.nrPopulatedChildren || a.EventsGen != p.EventsGen ||
			a.populatedSeen != p.populatedSeen || a.frozenSeen != p.frozenSeen {
			w(ObjPop, id)
		}
		if a.PidsCurrent != p.PidsCurrent || a.PidsEventsMax != p.PidsEventsMax || a.PidsMax != p.PidsMax {
			w(ObjPids, id)
		}
		// csetHead and csetTail change with a css_set's creation or
		// release, reported on that css_set below.
		ac, pc := *a, *p
		ac.KillFlag, ac.KillSeq, ac.Freeze, ac.NrTasks, ac.nrPopulatedChildren, ac.EventsGen = pc.KillFlag, pc.KillSeq, pc.Freeze, pc.NrTasks, pc.nrPopulatedChildren, pc.EventsGen
		ac.populatedSeen, ac.frozenSeen, ac.PidsCurrent, ac.PidsEventsMax, ac.PidsMax, ac.csetHead, ac.csetTail = pc.populatedSeen, pc.frozenSeen, pc.PidsCurrent, pc.PidsEventsMax, pc.PidsMax, pc.csetHead, pc.csetTail
		if ac != pc {
			w(ObjCgConf, id)
		}
	}
	for i := range k.csets {
		if i >= len(prev.csets) {
			continue // reported as ObjAny above
		}
		a, p := &k.csets[i], &prev.csets[i]
		id := int32(i)
		if a.taskHead != p.taskHead || a.taskTail != p.taskTail || a.dyingHead != p.dyingHead || a.dyingTail != p.dyingTail || a.nrTasks != p.nrTasks {
			w(ObjCsetList, id)
		}
		if a.refcount != p.refcount {
			w(ObjCsetRef, id)
		}
		if a.order != p.order {
			w(ObjCsetOrder, AnyID)
		}
		// A css_set created or released (its neighbours' links change
		// with it: a walk reads the css_set it moves to, so it conflicts
		// with that css_set's release).
		if a.Cgroup != p.Cgroup || a.V1 != p.V1 || a.DomCset != p.DomCset || a.tcHead != p.tcHead || a.tcTail != p.tcTail ||
			a.tcNext != p.tcNext || a.tcPrev != p.tcPrev {
			w(ObjCsetLinks, id)
		}
	}
	if k.cgroupMutex != prev.cgroupMutex {
		w(ObjMutex, AnyID)
	}
	if k.tgReaders != prev.tgReaders {
		w(ObjTgReaders, AnyID)
	}
	if k.tgWriter != prev.tgWriter {
		w(ObjTgWriter, AnyID)
	}
	if k.nrThreads != prev.nrThreads {
		w(ObjNrThreads, AnyID)
	}
	if len(k.iters) != len(prev.iters) {
		w(ObjIters, AnyID)
	} else {
		for i := range k.iters {
			if k.iters[i] != prev.iters[i] {
				w(ObjIters, AnyID)
				break
			}
		}
	}
	if k.Panic != prev.Panic {
		w(ObjPanic, AnyID)
	}
	if k.oomLockOwner != prev.oomLockOwner {
		w(ObjAny, AnyID) // only the OOM killer takes oom_lock: ObjAny
	}
	return buf
}

// Covers reports whether access a, of a footprint, accounts for a change
// c of ChangedObjects (a Write): a is not a read and is on the same object,
// or is ObjAny.
func Covers(a, c Access) bool {
	if a.Op == Read || a.Op == Iter {
		return false
	}
	if a.Kind == ObjAny {
		return true
	}
	return a.Kind == c.Kind && idsMeet(a.ID, c.ID)
}

// Subsumes reports whether access f, of a future, accounts for access n
// of a step in every conflict: whatever conflicts with n conflicts with f.
// It is for testing futures. fresh reports whether an id of n names an
// object created after the future was computed (f must then name it
// FreshID or AnyID).
func Subsumes(f, n Access, fresh func(kind ObjKind, id int32) bool) bool {
	if f.Kind == ObjAny {
		return f.Op != Read || n.Op == Read || n.Op == Iter
	}
	if n.Kind == ObjAny || f.Kind != n.Kind {
		return false
	}
	covers := func(fid, nid int32, kind ObjKind) bool {
		if fid == AnyID || fid == nid {
			return true
		}
		return fid == FreshID && nid >= 0 && fresh(kind, nid)
	}
	if !covers(f.ID, n.ID, n.Kind) {
		return false
	}
	if f.Op == Write {
		return true
	}
	if f.Op != n.Op {
		return false
	}
	switch f.Op {
	case Add, Remove, Iter:
		return covers(f.Elem, n.Elem, ObjTask)
	}
	return true
}

// NumGroups is the number of thread groups ever created.
func (k *Kernel) NumGroups() int { return len(k.groups) }
