package sim

import (
	"encoding/binary"
	"fmt"
	"iter"
	"runtime"

	"cgsim/model"
	"cgsim/sim/explore"
)

// Driven is the user-space code of a task written in Go (a userspace
// killer, package killer) instead of a built-in program. It runs as a
// coroutine: each system call it makes through sys is one scheduling
// point, and the task's user code resumes only when the call returns, as
// for programs. Its return value is the task's exit status. A Driven must
// be deterministic: its behaviour may depend only on what its calls
// return.
type Driven func(sys *Sys) int32

// Result is what a system call of a driven task returned.
type Result struct {
	Ret  int32
	Err  model.Errno
	Data string // what a read returned
}

// Sys is a driven task's way into the kernel. It is used only from the
// task's own coroutine.
type Sys struct {
	w     *World // the world being stepped; nil while the coroutine is suspended
	t     model.TaskID
	res   Result
	yield func(Instr) bool
}

// stopped unwinds a driven task's coroutine when its world is discarded.
type stopped struct{}

// Call makes the system call in (an instruction as programs use them:
// OpWrite, OpRead, OpKill, OpWait, OpMkdir, OpRmdir, OpSpin, OpReaddir,
// OpPidfdOpen, OpPidfdSend) and returns its result.
func (s *Sys) Call(in Instr) Result {
	in.labelID = -1
	if !s.yield(in) {
		panic(stopped{})
	}
	return s.res
}

// Task is the driven task's id.
func (s *Sys) Task() model.TaskID { return s.t }

// Kernel gives read-only access to the kernel for what takes no step of
// the task (getpid, or the harness's own bookkeeping). It is valid only
// while the task's code runs.
func (s *Sys) Kernel() *model.Kernel { return s.w.K }

// World is the world being stepped, under the same condition as Kernel.
func (s *Sys) World() *World { return s.w }

// driver is one driven task's coroutine in one world.
type driver struct {
	body   Driven
	sys    *Sys
	next   func() (Instr, bool)
	stop   func()
	last   Instr
	obs    uint64 // FNV-1a of every result the code has seen: its state
	done   bool
	status int32
}

// drivers is the driven tasks of a world. Worlds with driven tasks cannot
// copy a coroutine: a clone is rebuilt from origin (the world before its
// first step) by replaying hist, the choices made since (stateless search).
type drivers struct {
	bodies []drivenTask // shared, immutable after setup
	origin *World       // shared: the world at its first step or clone
	hist   []int32
	run    []*driver // indexed like bodies; nil until first resumed
}

type drivenTask struct {
	t    model.TaskID
	body Driven
}

// Drive makes task t run body instead of its program. It is for setup
// (t should not have run yet).
func (w *World) Drive(t model.TaskID, body Driven) {
	if w.drv == nil {
		w.drv = &drivers{}
	}
	w.drv.bodies = append(w.drv.bodies, drivenTask{t, body})
	w.drv.run = append(w.drv.run, nil)
}

// Driven reports whether t is a driven task, and its index.
func (w *World) driven(t model.TaskID) int {
	if w.drv == nil {
		return -1
	}
	for i, b := range w.drv.bodies {
		if b.t == t {
			return i
		}
	}
	return -1
}

// DrivenDone reports whether the driven task t's code has returned, and
// its status.
func (w *World) DrivenDone(t model.TaskID) (bool, int32) {
	i := w.driven(t)
	if i < 0 || w.drv.run[i] == nil {
		return false, 0
	}
	d := w.drv.run[i]
	return d.done, d.status
}

// driveStep is one user step of driven task t (index i): hand the last
// call's result to the code, run it to its next call and issue that call.
func (w *World) driveStep(t model.TaskID, i int) {
	k := w.K
	d := w.drv.run[i]
	if d == nil {
		d = w.startDriver(t, i)
	} else if d.last.isSyscall() {
		tk := k.Task(t)
		if tk.Err == model.ERESTARTNOINTR {
			// The call is restarted, the code does not see it.
			k.SetUserFlag(t, 1)
			w.issue(t, d.last)
			return
		}
		d.sys.res.Ret, d.sys.res.Err = tk.Ret, tk.Err
	} else {
		d.sys.res = Result{} // a spin: nothing to report
	}
	d.observe(d.sys.res)
	d.sys.w = w
	in, ok := d.next()
	d.sys.w = nil
	if !ok {
		d.done = true
		k.ExitGroup(t, d.status)
		return
	}
	d.last = in
	k.SetUserFlag(t, 1)
	d.sys.res = Result{}
	if data, isRead := w.issue(t, in); isRead {
		d.sys.res.Data = data
	}
}

func (w *World) startDriver(t model.TaskID, i int) *driver {
	d := &driver{body: w.drv.bodies[i].body, obs: 14695981039346656037}
	sys := &Sys{t: t}
	d.sys = sys
	seq := func(yield func(Instr) bool) {
		sys.yield = yield
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopped); !ok {
					panic(r)
				}
			}
		}()
		d.status = d.body(sys)
	}
	d.next, d.stop = iter.Pull(seq)
	w.drv.run[i] = d
	// A discarded world's coroutine is unwound when the world is collected;
	// the cleanup must not keep the world alive, so it gets only stop.
	runtime.AddCleanup(w, func(stop func()) { stop() }, d.stop)
	return d
}

func (d *driver) observe(r Result) {
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:4], uint32(r.Ret))
	binary.LittleEndian.PutUint32(b[4:], uint32(r.Err))
	for _, c := range append(b[:], r.Data...) {
		d.obs ^= uint64(c)
		d.obs *= 1099511628211
	}
}

// cloneDriven is CloneWorld for a world with driven tasks: rebuild from
// the origin and replay the choices made since.
func (w *World) cloneDriven() *World {
	if w.drv.origin == nil {
		if len(w.drv.hist) != 0 {
			panic("sim: driven world stepped without an origin")
		}
		w.drv.origin = w.cloneState()
	}
	c := w.drv.origin.cloneState()
	c.SetTracing(w.tracing)
	for _, a := range w.drv.hist {
		c.Step(int(a))
	}
	return c
}

// cloneState copies a world with driven tasks that have not started: the
// kernel, the log and fresh (unstarted) drivers sharing the bodies.
func (w *World) cloneState() *World {
	c := *w
	c.K = w.K.Clone()
	c.Log = w.Log[:len(w.Log):len(w.Log)]
	c.counts = append([]int32(nil), w.counts...)
	c.labels = w.labels[:len(w.labels):len(w.labels)]
	c.trace = append([]TraceEvent(nil), w.trace...)
	c.K.SetTracing(w.tracing)
	c.por = porScratch{}
	for _, d := range w.drv.run {
		if d != nil {
			panic("sim: cloneState of a world whose driven tasks have started")
		}
	}
	c.drv = &drivers{bodies: w.drv.bodies, origin: w.drv.origin, run: make([]*driver, len(w.drv.bodies))}
	return &c
}

// appendDrivenKey adds the driven tasks' state to a state key: what each
// one's code has observed (its behaviour is a function of that) and
// whether it has returned.
func (w *World) appendDrivenKey(b []byte) []byte {
	for _, d := range w.drv.run {
		if d == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, d.obs)
		if d.done {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

// describeDriven names the driven task i's state for messages.
func (w *World) describeDriven(i int) string {
	d := w.drv.run[i]
	switch {
	case d == nil:
		return "not started"
	case d.done:
		return fmt.Sprintf("returned %d", d.status)
	}
	return "running"
}

var _ explore.Model = (*World)(nil)
