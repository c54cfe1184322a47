package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"

	"cgsim/killer"
	"cgsim/model"
	"cgsim/sim"
)

// builder makes one machine from a spec. The spec is shared by every build
// (and by goroutines building concurrently); the builder holds what one
// build resolves: task ids, program ids, expectations.
type builder struct {
	d      *decoder
	sp     *spec
	w      *sim.World
	ids    map[string]model.TaskID
	progs  map[string]int32
	expect []*callExpect
	byLbl  map[string]*callExpect
	auto   int
	setup  *Setup
}

// callExpect is what a labelled call must return.
type callExpect struct {
	label  string
	node   *yaml.Node
	what   string
	errnos []model.Errno
	data   *string
	// progs are the programs that make the call.
	progs []int32
}

// build makes the machine of the scenario under opts: the global init,
// the cgroups (created and configured by init, in file order), the other
// tasks (forked at setup by their parents, in file order; nothing
// interleaves), their programs, then the tasks marked to settle run alone
// until they sleep. Errors carry the position of what caused them.
func (sp *spec) build(opts model.Options) (*sim.World, error) {
	w, _, err := sp.buildSetup(opts, 0)
	return w, err
}

// buildSetup is build that also returns the setup it performed, with the
// scenario's init at pid namespace level initLevel (Scenario.BuildSetup).
func (sp *spec) buildSetup(opts model.Options, initLevel int) (*sim.World, *Setup, error) {
	if initLevel < 0 || initLevel > model.MaxPidNSLevel {
		return nil, nil, fmt.Errorf("init pid namespace level %d: want 0 to %d (MAX_PID_NS_LEVEL)", initLevel, model.MaxPidNSLevel)
	}
	d := &decoder{file: sp.file}
	w := sim.NewWorld(opts)
	b := &builder{d: d, sp: sp, w: w, ids: map[string]model.TaskID{}, progs: map[string]int32{}, byLbl: map[string]*callExpect{}, setup: &Setup{}}
	init := sp.tasks[0]
	b.progs[init.name] = w.AddProgram(init.name, nil)
	if initLevel == 0 {
		b.ids[init.name] = w.Init(init.name, b.progs[init.name])
	} else {
		// The hosts: the global init, then one namespace init per level,
		// each cloned with CLONE_NEWPID by the one above (copy_process makes
		// pid 1 of a new namespace its child_reaper); the last clones the
		// scenario's init.
		hostProg := w.AddProgram("host", sim.PauseForever())
		h := w.Init("", hostProg)
		b.setup.Hosts = append(b.setup.Hosts, h)
		for l := 1; l <= initLevel; l++ {
			prog, name := hostProg, ""
			if l == initLevel {
				prog, name = b.progs[init.name], init.name
			}
			t, err := w.Spawn(h, name, prog, model.CLONE_NEWPID, model.NoCgroup)
			if err != nil {
				return nil, nil, fmt.Errorf("init at pid namespace level %d: %w", initLevel, err)
			}
			if l < initLevel {
				b.setup.Hosts = append(b.setup.Hosts, t)
			}
			h = t
		}
		// The scenario's init leads a session and process group of its
		// own, as the global init does (and as the real harness's init
		// makes itself with setsid(2)).
		if _, err := w.Call(h, func(k *model.Kernel) { k.Setsid(h) }); err != nil {
			return nil, nil, fmt.Errorf("init at pid namespace level %d: setsid: %w", initLevel, err)
		}
		b.ids[init.name] = h
	}
	b.setup.Tasks = append(b.setup.Tasks, SetupTask{Name: init.name, ID: b.ids[init.name], Prog: b.progs[init.name], Settle: init.sleeper})
	for _, c := range sp.cgroups {
		b.mkCgroup(c)
	}
	for _, t := range sp.tasks[1:] {
		b.mkTask(t)
	}
	for _, t := range sp.tasks {
		switch {
		case d.err != nil || t.kthread:
		case t.killer != nil:
			b.setupTask(t.name).Killer = true
			w.SetProgram(b.progs[t.name], sim.PauseForever()) // never runs: the killer drives the task
			b.driveKiller(t)
		default:
			c := &compiler{b: b}
			c.program(t.program)
			w.SetProgram(b.progs[t.name], c.code)
		}
	}
	for _, t := range sp.tasks {
		if d.err != nil {
			break
		}
		settle := t.sleeper
		if t.settle != nil {
			settle = d.bool(t.settle, "settle")
		}
		if t.kthread {
			continue
		}
		b.setupTask(t.name).Settle = settle
		// The extra threads only pause: they always settle.
		for _, th := range w.K.Threads(b.ids[t.name]) {
			if th != b.ids[t.name] || settle {
				w.Settle(th, 16)
			}
		}
	}
	for _, h := range b.setup.Hosts {
		w.Settle(h, 16) // into pause(2), before the run
	}
	for _, n := range sp.props {
		b.property(n)
	}
	for _, e := range b.expect {
		for id, p := range w.Progs {
			for _, in := range p.Code {
				if in.Label == e.label {
					e.progs = append(e.progs, int32(id))
					break
				}
			}
		}
		w.Props = append(w.Props, e.property())
	}
	if sp.gate != nil && d.err == nil {
		if label := sp.explore.KillGate; !b.hasLabel(label) {
			d.failf(sp.gate, "kill-gate: no call is labelled %q (want the label of the cgroup.kill write or the oom event)", label)
		} else {
			w.Gate = sim.KillGate(label)
		}
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	return w, b.setup, nil
}

// setupTask returns the setup record of the task named name.
func (b *builder) setupTask(name string) *SetupTask {
	for i := range b.setup.Tasks {
		if b.setup.Tasks[i].Name == name {
			return &b.setup.Tasks[i]
		}
	}
	return &SetupTask{} // not built: the build has failed already
}

func (b *builder) initID() model.TaskID { return b.ids[b.sp.tasks[0].name] }

// cgroupAtSetup resolves a cgroup path that must exist once the cgroups
// section has been set up.
func (b *builder) cgroupAtSetup(n *yaml.Node, what string) model.CgroupID {
	p := b.d.cgroupPath(n, what)
	if b.d.err != nil {
		return model.NoCgroup
	}
	cg, ok := b.w.K.Lookup(p)
	if !ok {
		b.d.failf(n, "%s: cgroup %s does not exist at setup (list it under cgroups)", what, p)
		return model.NoCgroup
	}
	return cg
}

// task resolves a task name: any task of the file.
func (b *builder) task(n *yaml.Node, what string) model.TaskID {
	name := b.d.checkName(n, what)
	if b.d.err != nil {
		return model.NoTask
	}
	id, ok := b.ids[name]
	if !ok {
		if _, later := b.sp.byName[name]; later {
			b.d.failf(n, "%s: task %q is created later; name a task defined above this one", what, name)
		} else {
			b.d.failf(n, "%s: unknown task %q (want the name of a task under tasks)", what, name)
		}
		return model.NoTask
	}
	return id
}

func (b *builder) mkCgroup(c cgroupSpec) {
	d, w := b.d, b.w
	if d.err != nil {
		return
	}
	cg := model.RootCG
	if c.path != "/" {
		i := strings.LastIndexByte(c.path, '/')
		parent, ok := w.K.Lookup(c.path[:i])
		if i == 0 {
			parent, ok = model.RootCG, true
		}
		if !ok {
			d.failf(c.node, "cgroup %s: its parent %s is not listed above it", c.path, c.path[:i])
			return
		}
		var err error
		if cg, err = w.Mkdir(b.initID(), parent, c.path[i+1:]); err != nil {
			d.failf(c.node, "cgroup %s: mkdir: %v", c.path, unwrapErrno(err))
			return
		}
	}
	sc := SetupCgroup{Path: c.path}
	for _, wr := range c.writes {
		if err := w.Write(b.initID(), cg, wr.file, wr.value); err != nil {
			d.failf(wr.node, "cgroup %s: write %q to %s: %v", c.path, wr.value, wr.file, unwrapErrno(err))
			return
		}
		sc.Writes = append(sc.Writes, SetupWrite{File: wr.file, Value: wr.value})
	}
	b.setup.Cgroups = append(b.setup.Cgroups, sc)
}

// unwrapErrno reduces a setup error to its errno name where it has one.
func unwrapErrno(err error) string {
	var e model.Errno
	if errors.As(err, &e) {
		return e.String()
	}
	return err.Error()
}

func (b *builder) mkTask(t *taskSpec) {
	d, w := b.d, b.w
	if d.err != nil {
		return
	}
	if t.kthread {
		id := w.Kthread(t.name, t.movable)
		b.ids[t.name] = id
		b.setup.Tasks = append(b.setup.Tasks, SetupTask{Name: t.name, ID: id, Kthread: true})
		if t.cgroup != nil {
			cg := b.cgroupAtSetup(t.cgroup, "cgroup")
			if d.err == nil {
				if err := w.Move(b.initID(), id, cg); err != nil {
					d.failf(t.cgroup, "kernel thread %q: cannot be moved to %s: %v (only movable kernel threads can leave the root cgroup)", t.name, w.K.Path(cg), unwrapErrno(err))
				}
			}
		}
		return
	}
	parent := b.initID()
	if t.parent != nil {
		parent = b.task(t.parent, "parent")
	}
	st := SetupTask{Name: t.name}
	var flags uint32
	if t.pidns != nil {
		switch v := d.str(t.pidns, "pidns"); v {
		case "new":
			flags |= model.CLONE_NEWPID
			st.NewPidNS = true
		default:
			other := b.task(t.pidns, "pidns")
			if d.err != nil {
				return
			}
			st.SetnsTo = v
			ns := w.K.Task(other).NS
			if _, err := w.Call(parent, func(k *model.Kernel) { k.Setns(parent, ns) }); err != nil {
				d.failf(t.pidns, "task %q: its parent's setns() into the pid namespace of %q failed: %v", t.name, v, unwrapErrno(err))
				return
			}
		}
	}
	cg := model.NoCgroup
	if t.cgroup != nil {
		cg = b.cgroupAtSetup(t.cgroup, "cgroup")
		flags |= model.CLONE_INTO_CGROUP
		st.Cgroup = w.K.Path(cg)
	}
	if d.err != nil {
		return
	}
	prog := w.AddProgram(t.name, nil)
	id, err := w.Spawn(parent, t.name, prog, flags, cg)
	if err != nil {
		d.failf(t.node, "task %q: clone3 by %s at setup: %v", t.name, w.Describe(parent), unwrapErrno(err))
		return
	}
	b.ids[t.name], b.progs[t.name] = id, prog
	st.ID, st.Prog, st.Threads, st.Parent = id, prog, t.threads, w.Name(parent)
	b.setup.Tasks = append(b.setup.Tasks, st)
	if t.threads > 0 {
		pause := b.pauseProgram()
		fl := model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM
		for i := 1; i <= t.threads; i++ {
			th, errno := w.K.SetupFork(id, model.CloneArgs{Flags: fl, ChildUser: model.UserRegs{Prog: pause}})
			if errno != model.OK {
				d.failf(t.node, "task %q: creating thread %d at setup: %v", t.name, i, errno)
				return
			}
			name := fmt.Sprintf("%s.t%d", t.name, i)
			w.SetName(th, name)
			if _, taken := b.ids[name]; !taken {
				// Programs may name the thread (pidfd-open of a tid).
				b.ids[name] = th
			}
		}
	}
	if t.oomAdj != nil {
		adj := int(d.int(t.oomAdj, "oom_score_adj", model.OOM_SCORE_ADJ_MIN, model.OOM_SCORE_ADJ_MAX))
		if d.err != nil {
			return
		}
		if errno := w.K.SetupOomScoreAdj(id, adj); errno != model.OK {
			d.failf(t.oomAdj, "task %q: oom_score_adj %d: %v", t.name, adj, errno)
			return
		}
		b.setup.Tasks[len(b.setup.Tasks)-1].OomScoreAdj = adj
	}
	if t.rlimitCore != nil && t.rlimitCore.Value == "unlimited" {
		if errno := w.K.SetupRlimitCore(id, true); errno != model.OK {
			d.failf(t.rlimitCore, "task %q: rlimit_core: %v", t.name, errno)
			return
		}
		b.setup.Tasks[len(b.setup.Tasks)-1].CoreUnlimited = true
	}
	if t.v1 != nil {
		st.V1 = d.str(t.v1, "v1")
		if d.err != nil {
			return
		}
		if err := w.MoveV1(id, st.V1); err != nil {
			d.failf(t.v1, "task %q: %v", t.name, err)
			return
		}
		b.setup.Tasks[len(b.setup.Tasks)-1].V1 = st.V1
	}
}

func (b *builder) pauseProgram() int32 {
	if id, ok := b.progs["\x00pause"]; ok {
		return id
	}
	id := b.w.AddProgram("thread-pause", sim.PauseForever())
	b.progs["\x00pause"] = id
	return id
}

// expectCall registers what the call at n must return, under label (an
// automatic one if the file gives none).
func (b *builder) expectCall(n, labelNode, errNode, dataNode *yaml.Node, what string) string {
	label := ""
	if labelNode != nil {
		label = b.d.checkName(labelNode, "label")
	}
	if errNode == nil && dataNode == nil {
		return label
	}
	if label == "" {
		b.auto++
		label = fmt.Sprintf("line%d.%d", n.Line, b.auto)
	}
	if prev, dup := b.byLbl[label]; dup {
		b.d.failf(labelNode, "label %q already has an expectation (line %d): give this call its own label", label, prev.node.Line)
		return label
	}
	e := &callExpect{label: label, node: n, what: what}
	if errNode != nil {
		e.errnos = b.d.errnos(errNode, "expect")
	}
	if dataNode != nil {
		s := b.d.str(dataNode, "data")
		e.data = &s
	}
	b.byLbl[label] = e
	b.expect = append(b.expect, e)
	return label
}

// expectCallData is expectCall for a call with result checks: data is
// the text its log record must hold when it succeeds, and without an
// errno the call must succeed.
func (b *builder) expectCallData(n, labelNode, errNode *yaml.Node, data, what string) string {
	label := ""
	if labelNode != nil {
		label = b.d.checkName(labelNode, "label")
	}
	if label == "" {
		b.auto++
		label = fmt.Sprintf("line%d.%d", n.Line, b.auto)
	}
	if prev, dup := b.byLbl[label]; dup {
		b.d.failf(labelNode, "label %q already has an expectation (line %d): give this call its own label", label, prev.node.Line)
		return label
	}
	e := &callExpect{label: label, node: n, what: what, errnos: []model.Errno{model.OK}, data: &data}
	if errNode != nil {
		e.errnos = b.d.errnos(errNode, "expect")
	}
	b.byLbl[label] = e
	b.expect = append(b.expect, e)
	return label
}

func (e *callExpect) property() sim.Property {
	return sim.Property{Name: "expect " + e.label, Scope: sim.AtEnd, Check: func(w *sim.World, final bool) string {
		if !final {
			return ""
		}
		recs := w.Records(e.label)
		if len(recs) == 0 {
			// Vacuous unless the callers all died first.
			if t := e.liveCaller(w); t != model.NoTask {
				return fmt.Sprintf("%s (line %d) never returned, and %s, which runs it, is alive at the end", e.what, e.node.Line, w.Describe(t))
			}
		}
		for _, r := range recs {
			if len(e.errnos) > 0 && !slices.Contains(e.errnos, r.Err) {
				return fmt.Sprintf("%s (line %d) by %s returned %s at step %d, want %s", e.what, e.node.Line, w.Describe(r.Task), r.Err, r.Step, errnoList(e.errnos))
			}
			if e.data != nil && r.Err == model.OK && r.Data != *e.data {
				verb := "gave"
				if strings.HasPrefix(e.what, "read of ") {
					verb = "read"
				}
				return fmt.Sprintf("%s (line %d) by %s %s %q at step %d, want %q", e.what, e.node.Line, w.Describe(r.Task), verb, r.Data, r.Step, *e.data)
			}
		}
		return ""
	}}
}

// liveCaller returns a task running a program that makes the call which
// is alive and not certain to die at the end, or NoTask.
func (e *callExpect) liveCaller(w *sim.World) model.TaskID {
	k := w.K
	for t := 0; t < k.NumTasks(); t++ {
		id := model.TaskID(t)
		tk := k.Task(id)
		if tk.Group == model.NoGroup || tk.Flags&model.PF_KTHREAD != 0 || !k.Alive(id) || k.Doomed(id) {
			continue
		}
		for _, p := range e.progs {
			if tk.User.Prog == p {
				return id
			}
		}
	}
	return model.NoTask
}

func errnoList(list []model.Errno) string {
	s := make([]string, len(list))
	for i, e := range list {
		s[i] = e.String()
	}
	return strings.Join(s, " or ")
}

// driveKiller makes task t run the userspace killer its file names
// (package killer), and adds the property that the killer contains its
// target: at the end, it reported success and nothing of the target
// survived, it signalled nothing outside the target, and it is alive
// (killer.Classify).
func (b *builder) driveKiller(t *taskSpec) {
	d := b.d
	f := d.fields(t.killer, "killer", killerKeys)
	if f["name"] == nil || f["target"] == nil {
		d.failf(t.killer, "killer: want name (one of %s) and target (the cgroup to kill)", strings.Join(killerIDs(), ", "))
		return
	}
	id := d.str(f["name"], "name")
	k, ok := killer.Lookup(id)
	if !ok && d.err == nil {
		d.failf(f["name"], "killer: unknown killer %q (want one of %s)", id, strings.Join(killerIDs(), ", "))
	}
	target := killer.Target{Cgroup: d.cgroupPath(f["target"], "target")}
	cg := b.cgroupAtSetup(f["target"], "target")
	if v := f["init"]; v != nil {
		it := b.task(v, "init")
		if d.err == nil {
			target.InitPid = b.w.K.PidIn(it, b.w.K.Task(b.ids[t.name]).NS)
			if target.InitPid == 0 {
				d.failf(v, "init: the killer cannot see %q from its pid namespace", v.Value)
			}
		}
	}
	warmup := 0
	if v := f["warmup"]; v != nil {
		warmup = int(d.int(v, "warmup", 0, 1<<20))
	}
	if d.err != nil {
		return
	}
	kt := b.ids[t.name]
	killer.Drive(b.w, kt, k, target, warmup)
	b.w.Props = append(b.w.Props, sim.Property{Name: "killer " + k.ID, Scope: sim.OnHistory, Check: func(w *sim.World, final bool) string {
		if r := w.Records("wrong-kill"); len(r) > 0 {
			return "wrong process killed: " + r[0].Data
		}
		if !final {
			return ""
		}
		if o, detail := killer.Classify(w, kt, k, cg, false); o != killer.Contained {
			return o.String() + ": " + detail
		}
		return ""
	}})
}

func killerIDs() []string {
	var out []string
	for _, k := range killer.Killers {
		out = append(out, k.ID)
	}
	return out
}
