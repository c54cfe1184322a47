package model

// Dead user values in the state key (explore.ReduceDead).
//
// A task's user-mode values — the interpreter's registers R[0] and R[2],
// the named registers N, and the last call's Ret, Err and WaitStatus — are
// read only by the task's own program (sim's interpreter) and by the call
// that completes. A value that nothing the task can still run reads is
// dead: two machines that differ only in dead values take the same steps
// to machines that again differ only in dead values, with the same
// verdicts, so a search may key them alike. This is SPIN's dead variable
// elimination (on by default in SPIN); here it is a reduction that can be
// switched off. Which values are live where is a property of the programs,
// so the interpreter that runs them works it out (sim.World.WithDeadValues)
// and hands the kernel a table; the kernel only applies it when it
// encodes a task.

// LiveRegs is a set of a task's user-mode values that a later step may
// read.
type LiveRegs uint16

// The values a LiveRegs names.
const (
	// LiveR0 is UserRegs.R[0] (the interpreter's loop counter).
	LiveR0 LiveRegs = 1 << iota
	// LiveR2 is UserRegs.R[2] (the pid the task's last fork returned).
	LiveR2
	// LiveN0 is UserRegs.N[0]; N[i] is LiveN0 << i.
	LiveN0
	liveN1
	liveN2
	liveN3
	// LiveRet is Task.Ret, the last call's return value.
	LiveRet
	// LiveErr is Task.Err, the last call's errno.
	LiveErr
	// LiveWaitStatus is Task.WaitStatus, the last wait's status.
	LiveWaitStatus

	// LiveAll is every value: nothing is left out.
	LiveAll LiveRegs = 1<<iota - 1
)

// LiveN is the bit of named register N[i].
func LiveN(i int) LiveRegs { return LiveN0 << i }

// Liveness says which values are live where: Liveness[p][3*pc+phase] is
// the set of values live in a task running program p at pc whose call
// state UserRegs.R[1] is phase (0 no call issued, 1 a call in flight, 2 a
// call completed and not yet consumed: sim's interpreter). A task whose
// program, pc or phase falls outside the table, and a kernel thread, keep
// every value.
type Liveness [][]LiveRegs

// SetLiveness makes the machine (and its clones from now on) leave the
// values l marks dead out of its state key (AppendKey, AppendKeyComponent);
// nil keys every value. The caller vouches for l: a value marked dead that
// some step reads merges states that behave differently.
func (k *Kernel) SetLiveness(l Liveness) { k.live = l }

// Liveness returns the table SetLiveness installed, or nil.
func (k *Kernel) Liveness() Liveness { return k.live }

// LiveRegsOf returns the values of t that its state key keeps.
func (k *Kernel) LiveRegsOf(t TaskID) LiveRegs { return k.liveRegs(k.rtask(t)) }

func (k *Kernel) liveRegs(tk *Task) LiveRegs {
	if k.live == nil || tk.Flags&PF_KTHREAD != 0 {
		return LiveAll
	}
	u := &tk.User
	if u.Prog < 0 || int(u.Prog) >= len(k.live) || u.PC < 0 || u.R[1] < 0 || u.R[1] > 2 {
		return LiveAll
	}
	row := k.live[u.Prog]
	if i := 3*int(u.PC) + int(u.R[1]); i < len(row) {
		return row[i]
	}
	return LiveAll
}

// maskDead zeroes the dead values in u, the user part of tk's key
// component (appendTaskKey's layout).
func (k *Kernel) maskDead(tk *Task, u []byte) {
	live := k.liveRegs(tk)
	if live == LiveAll {
		return
	}
	zero := func(bit LiveRegs, off int) {
		if live&bit == 0 {
			clear(u[off : off+4])
		}
	}
	for i := 0; i < NRegs; i++ {
		zero(LiveN(i), 4*i)
	}
	zero(LiveR0, 24)
	zero(LiveR2, 32)
	zero(LiveRet, 36)
	zero(LiveErr, 40)
	zero(LiveWaitStatus, 44)
}

// OverwriteDead sets every dead value of every task to v(i), i counting
// the values it overwrites: for tests that check that the values marked
// dead are never read (two machines that differ only there must step
// alike). It does nothing without a Liveness.
func (k *Kernel) OverwriteDead(v func(i int) int32) {
	if k.live == nil {
		return
	}
	n := 0
	set := func(live, bit LiveRegs, p *int32) {
		if live&bit == 0 {
			*p = v(n)
			n++
		}
	}
	for t := range k.tasks {
		if x := k.rtask(TaskID(t)); x.Exit == ExitDead && x.Frame.Path != KExit {
			continue // released: no user part in its key
		}
		tk := k.mtask(TaskID(t))
		live := k.liveRegs(tk)
		for i := 0; i < NRegs; i++ {
			set(live, LiveN(i), &tk.User.N[i])
		}
		set(live, LiveR0, &tk.User.R[0])
		set(live, LiveR2, &tk.User.R[2])
		set(live, LiveRet, &tk.Ret)
		var e int32
		set(live, LiveErr, &e)
		if live&LiveErr == 0 {
			tk.Err = Errno(e)
		}
		set(live, LiveWaitStatus, &tk.WaitStatus)
	}
}
