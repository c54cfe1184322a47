// Package sim is the world around the simulated kernel: tasks running
// built-in programs (data, interpreted here), the deterministic scheduler
// interface the explorer drives, the trace, and properties.
//
// A World is an explore.Model: its actors are the machine's tasks (actor
// i is model.TaskID(i)), an actor is enabled when its task can take a
// step, and one Step is one atomic kernel step or one user-mode step.
package sim

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"cgsim/model"
	"cgsim/sim/explore"
)

// Record is the result of a labelled system call.
type Record struct {
	Step  int
	Task  model.TaskID
	Label string
	Ret   int32
	Err   model.Errno
	// Data is what a read returned.
	Data string
}

// Property is checked after every step (final=false) and at quiescence
// (final=true); it returns "" or a description of the violation.
type Property struct {
	Name  string
	Check func(w *World, final bool) string
	// Scope says which states Check can report a violation in. Partial-
	// order reduction (explore.ReducePOR) skips intermediate states, so it
	// is only used when every property is AtEnd or OnHistory.
	Scope PropertyScope
	// Tasks are the tasks Check looks at by id (a Fate, the init of
	// InitOutlivesNamespace). Symmetry reduction never renames them; a
	// property that tells particular tasks apart must list them here.
	Tasks []model.TaskID
}

// PropertyScope is where a property can be violated.
type PropertyScope uint8

const (
	// EveryState (the zero value): Check(false) may report a violation of
	// any state. A world with such a property is searched unreduced.
	EveryState PropertyScope = iota
	// AtEnd: Check(false) always returns "": only quiescent states count.
	AtEnd
	// OnHistory: Check looks only at what happened on the way (coverage
	// points reached, the log, a kernel panic) and, when final, at the
	// quiescent state. Partial-order reduction executes every step of
	// every run in some explored run, so it finds these violations.
	OnHistory
)

// World is one simulated machine with its user space.
//
// Ownership: a World is used by one goroutine. Progs, Names and Props are
// immutable after setup and shared by clones; K and the trace are owned by
// the World, and Log by the World with the clones it shares its array
// with (logBlock). CloneInto copies the fields one by one: a field added
// here must be added there too.
type World struct {
	K     *model.Kernel
	Progs []Program
	// Names are the scenario's names of the tasks created at setup.
	Names []string
	Props []Property
	// Gate, if set, can withhold actors: an actor is enabled only if its
	// task can step and Gate allows it. Worlds use it to stop exploring
	// interleavings that cannot change the outcome a property asks about
	// (see KillGate); when it withholds every actor, the final checks run.
	Gate func(w *World, t model.TaskID) bool
	// CheckInvariants runs model.CheckInvariants after every step.
	CheckInvariants bool
	// Log holds labelled system call results, in order. Its array may be
	// shared with other worlds (logb): append to it with appendLog only.
	Log []Record
	// logb is the block Log lives in (see logBlock), nil before anything
	// is logged; spare is a block no world holds, this world's to fill
	// next. Both are owned by the World (logb together with the worlds
	// that share it).
	logb, spare *logBlock
	// labels interns the programs' labels (shared by clones); counts[i] is
	// how many records labels[i] has in Log.
	labels []string
	counts []int32
	// memoLabel is the label Count found last, at labels[memoIdx-1]
	// (memoIdx 0: none): a gate asks for one label for every task
	// (KillGate). A label keeps its index, so the memo holds in clones.
	memoLabel string
	memoIdx   int32
	// waits[p] reports whether program p has an OpWaitCond, operator[p]
	// whether it writes cgroup files or sends signals (set up with the
	// programs, shared by clones): only a program that can wait makes
	// enabled work out a task's next instruction, and an operator's tasks
	// go first under explore.OrderPriority.
	waits, operator []bool
	// Steps counts the steps taken.
	Steps int

	tracing bool
	trace   []TraceEvent

	// drv holds the tasks driven by Go code (Drive), nil if none.
	drv *drivers

	// por is Persistent's scratch space: each world has its own (a clone
	// starts empty; CloneInto keeps the recycled world's).
	por porScratch
}

// NewWorld returns a world with an empty machine.
func NewWorld(opts model.Options) *World {
	return &World{K: model.New(opts)}
}

// AddProgram registers a program and returns its id.
func (w *World) AddProgram(name string, code []Instr) int32 {
	w.Progs = append(w.Progs, Program{Name: name})
	id := int32(len(w.Progs) - 1)
	w.SetProgram(id, code)
	return id
}

// SetProgram replaces the code of program id. It is for setup only (a
// scenario adds placeholder programs, creates its tasks, then compiles the
// programs once every task it names exists); programs are immutable once
// the world runs.
func (w *World) SetProgram(id int32, code []Instr) {
	code = append([]Instr(nil), code...)
	for i := range code {
		code[i].labelID = -1
		if code[i].Label != "" {
			code[i].labelID = w.intern(code[i].Label)
		}
	}
	w.Progs[id].Code = code
	for len(w.waits) < len(w.Progs) {
		w.waits = append(w.waits, false)
		w.operator = append(w.operator, false)
	}
	w.waits[id], w.operator[id] = false, false
	for _, in := range code {
		switch in.Op {
		case OpWaitCond:
			w.waits[id] = true
		case OpWrite, OpKill, OpPidfdSend:
			w.operator[id] = true
		}
	}
}

func (w *World) intern(label string) int32 {
	for i, l := range w.labels {
		if l == label {
			return int32(i)
		}
	}
	w.labels = append(w.labels, label)
	w.counts = append(w.counts, 0)
	return int32(len(w.labels) - 1)
}

// Count is the number of results logged under label.
func (w *World) Count(label string) int {
	// The memo is hit by the same string (a gate's label), so its bytes'
	// address decides: no byte compare.
	if w.memoIdx > 0 && len(label) == len(w.memoLabel) && unsafe.StringData(label) == unsafe.StringData(w.memoLabel) {
		return int(w.counts[w.memoIdx-1])
	}
	for i, l := range w.labels {
		if l == label {
			w.memoLabel, w.memoIdx = label, int32(i+1)
			return int(w.counts[i])
		}
	}
	return 0
}

// logRecord logs r, the result of a call of an instruction whose label
// has id labelID (Instr.labelID).
func (w *World) logRecord(labelID int32, r Record) {
	w.appendLog(r)
	if labelID >= 0 {
		w.counts[labelID]++
	}
}

// SetTracing turns the trace on or off.
func (w *World) SetTracing(on bool) {
	w.tracing = on
	w.K.SetTracing(on)
}

// Trace returns the recorded trace.
func (w *World) Trace() []TraceEvent { return w.trace }

// Name returns the scenario name of t, or "" for tasks created later.
func (w *World) Name(t model.TaskID) string {
	if int(t) < len(w.Names) {
		return w.Names[t]
	}
	return ""
}

// SetName names task t (setup: tasks a scenario creates itself).
func (w *World) SetName(t model.TaskID, name string) {
	for len(w.Names) <= int(t) {
		w.Names = append(w.Names, "")
	}
	w.Names[t] = name
}

// ---- Setup ----

// Init creates the global init (pid 1) running prog.
func (w *World) Init(name string, prog int32) model.TaskID {
	t := w.K.SetupInit(model.UserRegs{Prog: prog})
	w.SetName(t, name)
	return t
}

// Kthread creates a kernel thread in the root cgroup.
func (w *World) Kthread(name string, movable bool) model.TaskID {
	t := w.K.SetupKthread(movable)
	w.SetName(t, name)
	return t
}

// Spawn forks a child of parent at setup time (nothing interleaves) that
// will run prog. flags and cg are as for clone3.
func (w *World) Spawn(parent model.TaskID, name string, prog int32, flags uint32, cg model.CgroupID) (model.TaskID, error) {
	t, err := w.K.SetupFork(parent, model.CloneArgs{Flags: flags, Cgroup: cg, ChildUser: model.UserRegs{Prog: prog}})
	if err != model.OK {
		return model.NoTask, fmt.Errorf("spawn %s: %w", name, err)
	}
	w.SetName(t, name)
	return t, nil
}

// Mkdir creates a cgroup at setup time, by task t.
func (w *World) Mkdir(t model.TaskID, parent model.CgroupID, name string) (model.CgroupID, error) {
	r, err := w.K.SetupCall(t, func() { w.K.Mkdir(t, parent, name) })
	if err != model.OK {
		return model.NoCgroup, fmt.Errorf("mkdir %s: %w", name, err)
	}
	return model.CgroupID(r), nil
}

// Write writes a cgroup file at setup time, by task t.
func (w *World) Write(t model.TaskID, cg model.CgroupID, f model.CgroupFile, value string) error {
	if _, err := w.K.SetupCall(t, func() { w.K.WriteFile(t, cg, f, value) }); err != model.OK {
		return fmt.Errorf("write %q to %s/%s: %w", value, w.K.Path(cg), f, err)
	}
	return nil
}

// Call runs a system call of t at setup time (call issues it through the
// kernel API; nothing interleaves) and returns its result.
func (w *World) Call(t model.TaskID, call func(k *model.Kernel)) (int32, error) {
	r, err := w.K.SetupCall(t, func() { call(w.K) })
	if err != model.OK {
		return r, err
	}
	return r, nil
}

// Move moves task v's process into cg at setup time (cgroup.procs write
// by t of v's pid as t sees it).
func (w *World) Move(t, v model.TaskID, cg model.CgroupID) error {
	pid := w.K.PidIn(v, w.K.Task(t).NS)
	return w.Write(t, cg, model.FileProcs, fmt.Sprint(pid))
}

// MoveV1 places task v's process in the cgroups of the v1 hierarchies
// named v1 at setup time (model.Kernel.SetupMoveV1): a process of a v2
// cgroup whose v1 placement differs from its neighbours' sits on a css_set
// of its own, which css_task_iter walks in the order the css_sets were
// created.
func (w *World) MoveV1(v model.TaskID, v1 string) error {
	if err := w.K.SetupMoveV1(v, v1); err != model.OK {
		return fmt.Errorf("move %s to v1 %q: %w", w.Describe(v), v1, err)
	}
	return nil
}

// ---- explore.Model ----

// Enabled appends the runnable tasks in ascending order.
func (w *World) Enabled(buf []int) []int {
	n := w.K.NumTasks()
	for t := 0; t < n; t++ {
		if w.enabled(model.TaskID(t)) && (w.Gate == nil || w.Gate(w, model.TaskID(t))) {
			buf = append(buf, t)
		}
	}
	return buf
}

func (w *World) enabled(t model.TaskID) bool {
	k := w.K
	if !k.Runnable(t) {
		return false
	}
	if k.NeedsKernelStep(t) || w.driven(t) >= 0 {
		return true
	}
	tk := k.Task(t)
	if int(tk.User.Prog) < len(w.waits) && !w.waits[tk.User.Prog] {
		return true // no instruction of its program waits for a condition
	}
	if u, in, burn := w.nextAt(t, tk.User, tk.Ret, tk.Err); !burn && in.Op == OpWaitCond {
		return w.cond(t, u, *in)
	}
	return true
}

func (w *World) instr(u model.UserRegs) Instr { return *w.instrAt(u) }

// exitInstr is the instruction past the end of every program. It is not
// to be written.
var exitInstr = Instr{Op: OpExitGroup}

// instrAt is the instruction at u's PC, in its program or exitInstr: not
// to be written. (Pointers because an Instr is 184 bytes: the step path
// copies one only to issue it.)
func (w *World) instrAt(u model.UserRegs) *Instr {
	code := w.Progs[u.Prog].Code
	if int(u.PC) >= len(code) {
		return &exitInstr
	}
	return &code[u.PC]
}

func (w *World) cond(t model.TaskID, u model.UserRegs, in Instr) bool {
	k := w.K
	if in.Fd > 0 {
		// A pidfd held in a register: poll(2) of no pidfd returns at once
		// (POLLNVAL).
		v := u.N[in.Fd-1] - 1
		if v < 0 {
			return true
		}
		in.Target = model.TaskID(v)
	}
	cg := in.Cg
	if in.Path != "" {
		var ok bool
		if cg, ok = k.Lookup(in.Path); !ok {
			// A removed cgroup is not populated; nothing else holds of it.
			return in.A == CondUnpopulated
		}
	}
	switch in.A {
	case CondUnpopulated:
		return !k.Populated(cg)
	case CondPopulated:
		return k.Populated(cg)
	case CondFrozen:
		return k.Frozen(cg)
	case CondForkPastCanFork:
		return k.ForkPastCanFork(in.Target)
	case CondTaskGone:
		return k.PidfdReadable(in.Target)
	case CondZombie:
		return k.Task(k.PidHolder(in.Target)).Exit != model.ExitNone
	case CondStopped:
		return k.Task(k.PidHolder(in.Target)).Stopped
	case CondProcs:
		return len(k.ProcsOf(cg)) >= int(in.B)
	}
	return true
}

// Step runs one step of task a.
func (w *World) Step(a int) {
	t := model.TaskID(a)
	k := w.K
	if w.drv != nil {
		if w.drv.origin == nil {
			o := w.cloneState()
			o.drv.origin = o
			w.drv.origin = o
		}
		w.drv.hist = append(w.drv.hist, int32(a))
	}
	w.Steps++
	if k.NeedsKernelStep(t) {
		k.Step(t)
	} else if i := w.driven(t); i >= 0 {
		w.driveStep(t, i)
	} else {
		w.user(t)
	}
	w.afterCall(t)
	if w.tracing {
		ev := k.TakeEvent()
		w.trace = append(w.trace, w.traceEvent(t, ev))
	}
}

// afterCall logs the result of a call that completed in this step. User
// register R[1] is the interpreter's call state: 0 no call issued, 1 a call
// in flight, 2 a call completed and its result logged.
func (w *World) afterCall(t model.TaskID) {
	k := w.K
	tk := k.Task(t)
	if tk.Frame.Path != model.KUser || tk.User.R[1] != 1 || tk.Flags&model.PF_KTHREAD != 0 {
		return
	}
	if w.driven(t) >= 0 {
		k.SetUserFlag(t, 2) // the code reads the result when it resumes
		return
	}
	in := w.instrAt(tk.User)
	if in.Label != "" && in.Op.isSyscall() && tk.Err != model.ERESTARTNOINTR {
		r := Record{Step: w.Steps, Task: t, Label: in.Label, Ret: tk.Ret, Err: tk.Err}
		if in.Check != 0 && tk.Err == model.OK {
			r.Data = w.checkData(t, *in)
		}
		w.logRecord(in.labelID, r)
	}
	k.SetUserFlag(t, 2)
}

// next computes what t's next user step does, without changing anything:
// the registers once the last call's result (ret, err) is consumed and the
// pure instructions (Jump, JumpIfErr, Loop, Set) before the next call have
// run, and that call. burn is true when 64 pure instructions ran without
// reaching a call: the step then only burns time (a loop with no call in
// it must still yield to the scheduler).
func (w *World) next(t model.TaskID, u model.UserRegs, ret int32, err model.Errno) (model.UserRegs, Instr, bool) {
	u, in, burn := w.nextAt(t, u, ret, err)
	return u, *in, burn
}

// nextAt is next with the instruction in its program (or exitInstr), not
// to be written.
func (w *World) nextAt(t model.TaskID, u model.UserRegs, ret int32, err model.Errno) (model.UserRegs, *Instr, bool) {
	code := w.Progs[u.Prog].Code
	if u.R[1] != 0 {
		// The call at PC has returned; ERESTARTNOINTR restarts it. A fork
		// that succeeded returned the child's pid: keep it in R[2] (pid =
		// fork()), for kill and wait of PidLastChild. A failed one leaves
		// R[2] as it was. A successful call with `as:` keeps its result in
		// a named register.
		if in := &code[u.PC]; err == model.OK && int(u.PC) < len(code) {
			if in.Op == OpFork {
				u.R[2] = ret
				if in.PidfdOut > 0 {
					// CLONE_PIDFD: copy_process wrote the pidfd to
					// clone_args.pidfd; the model's pidfd is the task.
					u.N[in.PidfdOut-1] = int32(w.K.TaskByPidNr(w.K.Task(t).NS, ret)) + 1
				}
			}
			if in.Out > 0 {
				v := ret
				if in.Op == OpPidfdOpen {
					v = ret + 1 // the model's pidfd is the pinned task's id
				}
				u.N[in.Out-1] = v
			}
		}
		if !(err == model.ERESTARTNOINTR && code[u.PC].Op.isSyscall()) {
			u.PC++
		}
		u.R[1] = 0
	}
	for guard := 0; ; guard++ {
		if int(u.PC) >= len(code) {
			return u, &exitInstr, false
		}
		if guard > 64 {
			return u, &code[u.PC], true
		}
		in := &code[u.PC]
		switch in.Op {
		case OpJump:
			u.PC = in.A
		case OpJumpIfErr:
			if (in.A == 0 && err != model.OK) || (in.A != 0 && err == model.Errno(in.A)) {
				u.PC = in.B
			} else {
				u.PC++
			}
		case OpLoop:
			if u.R[0] < in.A {
				u.R[0]++
				u.PC = in.B
			} else {
				u.PC++
			}
		case OpSet:
			u.R[0] = in.A
			u.PC++
		default:
			return u, in, false
		}
	}
}

// pidArg resolves a pid argument of t's call: Target's pid as t sees it
// if target is set, the pid t's last fork returned for PidLastChild, else
// the literal. ok is false when the named task or last child is not
// visible (or there is none).
func (w *World) pidArg(t model.TaskID, a int32, target model.TaskID) (int32, bool) {
	return w.pidArgReg(t, a, target, 0)
}

// pidArgReg is pidArg that also resolves PidReg from named register reg.
func (w *World) pidArgReg(t model.TaskID, a int32, target model.TaskID, reg int8) (int32, bool) {
	k := w.K
	switch {
	case target != model.NoTask && target >= 0:
		// The pid number the program kept: a thread that exec'd may hold
		// it now.
		p := k.PidIn(k.PidHolder(target), k.Task(t).NS)
		return p, p != 0
	case a == PidLastChild:
		p := k.Task(t).User.R[2]
		return p, p != 0
	case a == PidReg && reg > 0:
		p := k.Task(t).User.N[reg-1]
		return p, p != 0
	}
	return a, true
}

// pidfdArg returns the task a pidfd held in named register reg pins, or
// false when the register holds no pidfd (a C program would pass a bad
// file descriptor: EBADF).
func (w *World) pidfdArg(t model.TaskID, reg int8) (model.TaskID, bool) {
	if reg <= 0 {
		return model.NoTask, false
	}
	v := w.K.Task(t).User.N[reg-1] - 1
	return model.TaskID(v), v >= 0
}

// checkData renders the result checks of in (Instr.Check) for t's call,
// which has just returned successfully.
func (w *World) checkData(t model.TaskID, in Instr) string {
	k := w.K
	tk := k.Task(t)
	var parts []string
	if in.Check&CheckStatus != 0 {
		switch {
		case in.Op == OpPidfdInfo && tk.Ret == 0:
			parts = append(parts, "creds")
		case in.Op == OpPidfdInfo:
			parts = append(parts, "exit "+StatusText(false, 1, tk.WaitStatus))
		default:
			parts = append(parts, StatusText(in.Op == OpWaitid, tk.Ret, tk.WaitStatus))
		}
	}
	if in.Check&CheckRet != 0 {
		want := in.Want
		switch in.WantKind {
		case WantReg:
			want = tk.User.N[in.Want]
		case WantTask:
			v := model.TaskID(in.Want)
			want = 0
			if k.Task(v).Group != model.NoGroup {
				want = k.PidIn(k.GroupOf(v).Leader, tk.NS)
			}
		}
		if tk.Ret == want {
			parts = append(parts, "ret ok")
		} else {
			parts = append(parts, fmt.Sprintf("ret %d, want %d", tk.Ret, want))
		}
	}
	return strings.Join(parts, "; ")
}

// fdinfoCheck compares what a pidfd's fdinfo says (pid, nspid) with
// what in wants: "fdinfo ok", or both lines and the wanted ones.
func (w *World) fdinfoCheck(t model.TaskID, in Instr, pid int32, nspid []int32) string {
	u := w.K.Task(t).User
	want := in.Want
	if in.WantKind == WantReg {
		want = u.N[in.Want]
	}
	wantNS := make([]int32, len(in.FdinfoNS))
	for i, v := range in.FdinfoNS {
		if r := in.FdinfoNSReg[i]; r > 0 {
			v = u.N[r-1]
		}
		wantNS[i] = v
	}
	if pid == want && fmt.Sprint(nspid) == fmt.Sprint(wantNS) {
		return "fdinfo ok"
	}
	return fmt.Sprintf("Pid %d NSpid %v, want Pid %d NSpid %v", pid, nspid, want, wantNS)
}

// StatusText renders a wait result as CheckStatus records it: for wait4
// (waitid false) the status as WIFEXITED/WIFSIGNALED read it, for waitid
// the siginfo's si_code and si_status (wait_task_zombie's
// CLD_EXITED/CLD_KILLED/CLD_DUMPED). A WNOHANG call that found no child
// ready (pid 0) is "none".
func StatusText(waitid bool, pid, status int32) string {
	if pid == 0 {
		return "none"
	}
	sig := status & 0x7f
	core := status&0x80 != 0
	switch {
	case status == 0xffff && waitid:
		return "CLD_CONTINUED SIGCONT"
	case status == 0xffff:
		return "continued"
	case status&0xff == 0x7f && waitid:
		return "CLD_STOPPED " + model.Signal(status>>8&0xff).String()
	case status&0xff == 0x7f:
		return "stopped " + model.Signal(status>>8&0xff).String()
	}
	if !waitid {
		switch {
		case sig == 0:
			return fmt.Sprintf("exited %d", status>>8&0xff)
		case core:
			return "killed " + model.Signal(sig).String() + " core"
		}
		return "killed " + model.Signal(sig).String()
	}
	switch {
	case sig == 0:
		return fmt.Sprintf("CLD_EXITED %d", status>>8&0xff)
	case core:
		return "CLD_DUMPED " + model.Signal(sig).String()
	}
	return "CLD_KILLED " + model.Signal(sig).String()
}

// user runs one user-mode step of t: consume the last call's result, run
// pure instructions, issue the next system call.
func (w *World) user(t model.TaskID) {
	k := w.K
	tk := k.Task(t)
	u, in, burn := w.nextAt(t, tk.User, tk.Ret, tk.Err)
	if burn {
		k.SetUser(t, u)
		k.UserStep(t, "user: loop")
		return
	}
	if int(u.PC) >= len(w.Progs[u.Prog].Code) {
		k.SetUser(t, u)
		k.ExitGroup(t, 0)
		return
	}
	u.R[1] = 1
	k.SetUser(t, u)
	w.issueAt(t, in)
}

// issue starts the system call (or user action) of in for t. For a read
// it returns what was read (reads complete at once).
func (w *World) issue(t model.TaskID, in Instr) (data string, isRead bool) {
	return w.issueAt(t, &in)
}

// issueAt is issue of the instruction *in, which it does not write.
func (w *World) issueAt(t model.TaskID, in *Instr) (data string, isRead bool) {
	k := w.K
	cg := in.Cg // the cgroup the call works on (Path looked up)
	if in.Path != "" && in.Op != OpMkdir && in.Op != OpOOM {
		// open(2) of the cgroup directory or file comes first.
		var ok bool
		cg, ok = k.Lookup(in.Path)
		if !ok {
			k.FailCall(t, "openat", model.ENOENT)
			if in.Op == OpRead && in.Label != "" {
				w.logRecord(in.labelID, Record{Step: w.Steps, Task: t, Label: in.Label, Err: model.ENOENT})
				k.SetUserFlag(t, 2)
			}
			return
		}
	}
	switch in.Op {
	case OpPause:
		k.Pause(t)
	case OpExitGroup:
		k.ExitGroup(t, in.A)
	case OpExit:
		k.Exit(t, in.A)
	case OpExec:
		k.Exec(t, in.A)
	case OpSetsid:
		k.Setsid(t)
	case OpGetpid:
		k.GetpidCall(t)
	case OpGetppid:
		k.GetppidCall(t)
	case OpGetpgid:
		k.Getpgid(t, 0)
	case OpGetsid:
		k.Getsid(t, 0)
	case OpGetSubreaper:
		k.GetChildSubreaperCall(t)
	case OpSigprocmask:
		k.Sigprocmask(t, in.A, in.Mask)
	case OpSetPidMax:
		k.SetPidMax(t, in.A)
	case OpPidfdFdinfo:
		// open + read of /proc/self/fdinfo/FD: a read, so it completes
		// in the step; the check's text is logged here.
		v, ok := w.pidfdArg(t, in.Fd)
		if !ok {
			k.FailCall(t, "openat", model.ENOENT)
			return
		}
		pid, nspid := k.PidfdFdinfo(t, v)
		k.ReturnCall(t, "seq_read", pid)
		if in.Label != "" {
			w.logRecord(in.labelID, Record{Step: w.Steps, Task: t, Label: in.Label, Ret: pid, Data: w.fdinfoCheck(t, *in, pid, nspid)})
		}
		k.SetUserFlag(t, 2)
	case OpPidfdInfo:
		v, ok := w.pidfdArg(t, in.Fd)
		if !ok {
			k.FailCall(t, "ioctl", model.EBADF)
			return
		}
		k.PidfdGetInfo(t, v, in.B != 0)
	case OpWaitid:
		if in.Fd > 0 {
			v, ok := w.pidfdArg(t, in.Fd)
			if !ok {
				k.FailCall(t, "waitid", model.EBADF)
				return
			}
			k.Waitid(t, model.P_PIDFD, int32(v), uint32(in.B))
			return
		}
		if in.A == -1 {
			k.Waitid(t, model.P_ALL, 0, uint32(in.B))
			return
		}
		pid, ok := w.pidArgReg(t, in.A, model.NoTask, in.Reg)
		if !ok {
			// No fork has returned a child: there is none to wait for.
			k.FailCall(t, "waitid", model.ECHILD)
			return
		}
		k.Waitid(t, model.P_PID, pid, uint32(in.B))
	case OpSetpgid:
		pid, ok := w.pidArgReg(t, in.A, model.NoTask, in.Reg)
		if !ok {
			k.FailCall(t, "setpgid", model.ESRCH)
			return
		}
		pgid, ok := w.pidArg(t, in.B, in.Target)
		if !ok {
			k.FailCall(t, "setpgid", model.EPERM)
			return
		}
		k.Setpgid(t, pid, pgid)
	case OpKillPgrp:
		pgid, ok := w.pidArgReg(t, in.A, in.Target, in.Reg)
		if !ok || pgid == 0 {
			k.FailCall(t, "kill", model.ESRCH)
			return
		}
		k.Kill(t, -pgid, model.Signal(in.B))
	case OpOOM:
		// The memcg is named by path; one that does not exist (any more)
		// has no limit to hit.
		cg := in.Cg
		if in.Path != "" {
			var ok bool
			if cg, ok = k.Lookup(in.Path); !ok {
				k.FailCall(t, "mem_cgroup_out_of_memory", model.ENOENT)
				return
			}
		}
		k.OOM(t, cg, in.Target)
	case OpFork:
		u := k.Task(t).User
		// The child starts at B with a copy of the parent's variables:
		// the loop counter and the last fork's pid.
		child := model.UserRegs{Prog: u.Prog, PC: in.B, R: [3]int32{u.R[0], 0, u.R[2]}}
		var setTid []int32
		for i, v := range in.SetTid {
			if r := in.SetTidReg[i]; r > 0 {
				v = u.N[r-1]
			}
			if v == 0 && in.SetTidReg[i] == 0 {
				break
			}
			setTid = append(setTid, v)
		}
		args := model.CloneArgs{Flags: uint32(in.A), Cgroup: cg, ChildUser: child, SetTid: setTid}
		if in.HasExitSignal {
			args.HasExitSignal = true
			args.ExitSignal = -1 // past 64 bits' valid range: refused
			if in.ExitSignal <= 64 {
				args.ExitSignal = int64(in.ExitSignal)
			}
		}
		k.Fork(t, args)
	case OpWait:
		pid := in.A
		if pid == PidLastChild || pid == PidReg {
			var ok bool
			if pid, ok = w.pidArgReg(t, pid, model.NoTask, in.Reg); !ok {
				// No fork has returned a child: there is none to wait for.
				k.FailCall(t, "wait4", model.ECHILD)
				return
			}
		}
		k.Wait(t, pid, uint32(in.B))
	case OpKill:
		pid := in.A
		if pid == PidLastChild || pid == PidReg {
			var ok bool
			if pid, ok = w.pidArgReg(t, pid, model.NoTask, in.Reg); !ok {
				// No fork has returned a child: no such process.
				k.FailCall(t, "kill", model.ESRCH)
				return
			}
		} else if in.Target != model.NoTask && in.Target >= 0 {
			pid = k.PidIn(k.PidHolder(in.Target), k.Task(t).NS)
			if pid == 0 {
				k.FailCall(t, "kill", model.ESRCH)
				return
			}
		}
		k.Kill(t, pid, model.Signal(in.B))
	case OpWrite:
		if in.Reg > 0 {
			// The pid in a named register, written as the C code's
			// dprintf(fd, "%d", pid) would (0, for none, is the caller).
			k.WriteFile(t, cg, in.File, strconv.Itoa(int(k.Task(t).User.N[in.Reg-1])))
			return
		}
		k.WriteFile(t, cg, in.File, in.Str)
	case OpRead:
		data, err := k.ReadFile(t, cg, in.File)
		if in.Label != "" {
			w.logRecord(in.labelID, Record{Step: w.Steps, Task: t, Label: in.Label, Ret: int32(len(data)), Err: err, Data: data})
		}
		k.SetUserFlag(t, 2)
		return data, true
	case OpReaddir:
		// getdents64 of the cgroup directory: its live children.
		var names []string
		for _, c := range k.Children(cg) {
			names = append(names, k.Cgroup(c).Name)
		}
		k.ReturnCall(t, "getdents64", int32(len(names)))
		k.SetUserFlag(t, 2)
		return strings.Join(names, "\n"), true
	case OpPidfdOpen:
		target := model.NoTask
		if in.A == PidTarget {
			target = in.Target
		}
		pid, ok := w.pidArgReg(t, in.A, target, in.Reg)
		if !ok {
			k.FailCall(t, "pidfd_open", model.ESRCH)
			return
		}
		k.PidfdOpenFlags(t, pid, uint32(in.C))
	case OpPidfdSend:
		v := in.Target
		if in.Fd > 0 {
			var ok bool
			if v, ok = w.pidfdArg(t, in.Fd); !ok {
				k.FailCall(t, "pidfd_send_signal", model.EBADF)
				return
			}
		}
		k.PidfdSendSignalFlags(t, v, model.Signal(in.B), uint32(in.C))
	case OpMkdir:
		if in.Path != "" {
			i := strings.LastIndexByte(in.Path, '/')
			parent, ok := k.Lookup(in.Path[:i])
			if !ok {
				k.FailCall(t, "mkdir", model.ENOENT)
				return
			}
			k.Mkdir(t, parent, in.Path[i+1:])
			return
		}
		k.Mkdir(t, cg, in.Str)
	case OpRmdir:
		k.Rmdir(t, cg)
	case OpUnshare:
		k.UnsharePidNS(t)
	case OpSetns:
		if in.A == -1 && in.Target >= 0 {
			// setns(open("/proc/PID/ns/pid_for_children")): Target's
			// namespace for its children, as it is now. Up to 6.18 the
			// open fails with ENOENT while that namespace has no init
			// (pidns_for_children_get: no child_reaper, no ns_common).
			ns := k.Task(in.Target).PidNSForChildren
			if k.NS(ns).ChildReaper == model.NoTask {
				k.FailCall(t, "pidns_for_children_get", model.ENOENT)
				return
			}
			k.Setns(t, ns)
			return
		}
		k.Setns(t, model.NSID(in.A))
	case OpSubreaper:
		k.SetChildSubreaper(t)
	case OpSigaction:
		k.Sigaction(t, model.Signal(in.A), model.Disposition(in.B), false)
	case OpSpin:
		k.UserStep(t, "user: spin")
	case OpWaitCond:
		k.UserStep(t, "user: woken by condition")
	}
	return "", false
}

// Clone deep-copies the world, trace included (exploration runs with
// tracing off, so the trace is empty there).
func (w *World) Clone() explore.Model { return w.CloneWorld() }

// CloneWorld is Clone with the concrete type.
func (w *World) CloneWorld() *World {
	if w.drv != nil {
		return w.cloneDriven()
	}
	c := *w
	c.K = w.K.Clone()
	// A log of its own: sharing w's block would write to w (its count).
	c.logb, c.spare = nil, nil
	if n := len(w.Log); n > 0 {
		c.Log = c.ownLogBlock(n).recs[:n:n]
	}
	c.counts = append([]int32(nil), w.counts...)
	c.labels = w.labels[:len(w.labels):len(w.labels)]
	c.trace = append([]TraceEvent(nil), w.trace...)
	c.K.SetTracing(w.tracing)
	c.por = porScratch{}
	return &c
}

// CloneInto is Clone into dst, a discarded world of the same setup, reusing
// its memory (explore.Recycler).
func (w *World) CloneInto(dst explore.Model) explore.Model {
	if w.drv != nil {
		return w.cloneDriven()
	}
	d := dst.(*World)
	d.K = w.K.CloneInto(d.K)
	// Field by field rather than *d = *w: the world is 600 bytes, most of
	// them d's own scratch (por) or setup that d, a world of the same
	// search, already shares; a whole-struct copy runs a write barrier on
	// every pointer of it while the collector marks. Every field but por
	// is assigned here: add a field to World, add it here too.
	d.Progs, d.Names, d.Props, d.Gate = w.Progs, w.Names, w.Props, w.Gate
	d.CheckInvariants = w.CheckInvariants
	w.shareLog(d)
	d.labels = w.labels[:len(w.labels):len(w.labels)]
	d.counts = append(d.counts[:0], w.counts...)
	d.memoLabel, d.memoIdx = w.memoLabel, w.memoIdx
	d.waits, d.operator = w.waits, w.operator
	d.Steps = w.Steps
	d.tracing = w.tracing
	d.trace = nil
	if len(w.trace) > 0 {
		d.trace = append([]TraceEvent(nil), w.trace...)
	}
	d.drv = nil // w.drv is nil: a driven world clones by replay
	d.K.SetTracing(w.tracing)
	return d
}

// NumComponents is the number of components of the state key
// (explore.Components): the kernel's (model.Kernel.NumKeyComponents), then
// one for the driven tasks, if any.
func (w *World) NumComponents() int {
	n := w.K.NumKeyComponents()
	if w.drv != nil {
		n++
	}
	return n
}

// AppendComponent appends the encoding of key component i.
func (w *World) AppendComponent(i int, b []byte) []byte {
	if i < w.K.NumKeyComponents() {
		return w.K.AppendKeyComponent(i, b)
	}
	return w.appendDrivenKey(b)
}

// SameComponents finds the key components unchanged since prev, a world
// of the same setup (explore.Components).
func (w *World) SameComponents(prev explore.Model, buf []int32) []int32 {
	buf = w.K.AppendSameKeyComponents(prev.(*World).K, buf)
	if w.drv != nil {
		buf = append(buf, -1) // what a driven task has seen: encode again
	}
	return buf
}

// Priority ranks task a for explore.OrderPriority: the search order
// heuristic that tries an operator first. A task whose program writes
// cgroup files or sends signals, or that runs Go code (a userspace
// killer), has priority 1; the others 0. Starting the kill early finds
// the fork-vs-kill escapes sooner: the forks that race with it are then
// tried against a kill in progress.
func (w *World) Priority(a int) int {
	t := model.TaskID(a)
	if w.driven(t) >= 0 {
		return 1
	}
	if p := w.K.Task(t).User.Prog; int(p) < len(w.operator) && w.operator[p] {
		return 1
	}
	return 0
}

// Coverage is the coverage points the run reached (model.Coverage), for
// explore to tell counterexamples apart.
func (w *World) Coverage() uint64 { return uint64(w.K.Cover) }

// AppendKey is the kernel's state key (user state lives in the kernel's
// tasks; the log is history and is left out).
func (w *World) AppendKey(b []byte) []byte {
	b = w.K.AppendKey(b)
	if w.drv != nil {
		b = w.appendDrivenKey(b)
	}
	return b
}

// Check runs the invariants (if enabled), the kernel panic check and the
// properties.
func (w *World) Check(final bool) string {
	if w.K.Panic != "" {
		return "kernel panic: " + w.K.Panic
	}
	if w.CheckInvariants {
		if err := w.K.CheckInvariants(); err != nil {
			return "invariant: " + err.Error()
		}
	}
	for i := range w.Props {
		p := &w.Props[i]
		if !final && p.Scope == AtEnd {
			continue // its Check(false) is "" (PropertyScope)
		}
		if v := p.Check(w, final); v != "" {
			return p.Name + ": " + v
		}
	}
	return ""
}

// Note records an observation of the harness (not a system call) in the
// log under label, at the current step, for properties to read.
func (w *World) Note(t model.TaskID, label, data string) {
	w.appendLog(Record{Step: w.Steps, Task: t, Label: label, Data: data})
}

// Records returns the log entries with the given label.
func (w *World) Records(label string) []Record {
	var out []Record
	if n := w.Count(label); n > 0 {
		out = make([]Record, 0, n) // notes (Note) may add to it
	}
	for _, r := range w.Log {
		if r.Label == label {
			out = append(out, r)
		}
	}
	return out
}

var (
	_ explore.Components  = (*World)(nil)
	_ explore.Prioritizer = (*World)(nil)
	_ explore.Coverer     = (*World)(nil)
	_ explore.Recycler    = (*World)(nil)
)
