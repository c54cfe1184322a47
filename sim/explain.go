package sim

import (
	"fmt"
	"io"
	"strings"

	"cgsim/model"
)

// taskState says what a task is doing, in kernel terms.
func (w *World) taskState(t model.TaskID) string {
	k := w.K
	tk := k.Task(t)
	var parts []string
	switch {
	case tk.Exit == model.ExitZombie && tk.Frame.Path != model.KExit:
		parts = append(parts, "zombie")
	case tk.Flags&model.PF_KTHREAD != 0:
		parts = append(parts, "kthread")
	case k.StepName(t) != "user":
		parts = append(parts, k.StepName(t))
	case tk.Frame.Path == model.KUser:
		if in := w.instr(tk.User); tk.User.R[1] == 0 || in.Op == OpWaitCond {
			parts = append(parts, "user: "+in.Op.String())
		} else {
			parts = append(parts, "user")
		}
	default:
		parts = append(parts, "in "+k.StepName(t))
	}
	if tk.Flags&model.PF_EXITING != 0 && tk.Exit == model.ExitNone {
		parts = append(parts, "PF_EXITING")
	}
	if tk.Pending != 0 {
		parts = append(parts, "pending "+tk.Pending.String())
	}
	if tk.Frozen {
		parts = append(parts, "frozen")
	}
	if tk.Stopped {
		parts = append(parts, "stopped")
	}
	if !k.Runnable(t) && tk.Exit == model.ExitNone && tk.Flags&model.PF_KTHREAD == 0 {
		parts = append(parts, "blocked")
	}
	if tk.Cgroup != model.NoCgroup {
		parts = append(parts, "cgroup "+k.Path(tk.Cgroup))
	} else if tk.Group != model.NoGroup {
		parts = append(parts, "no cgroup yet (between copy_process and cgroup_post_fork)")
	}
	return strings.Join(parts, ", ")
}

// visible reports whether t is a task that exists (committed by fork and
// not released).
func (w *World) visible(t model.TaskID) bool {
	tk := w.K.Task(t)
	return tk.Group != model.NoGroup && tk.Exit != model.ExitDead
}

// Explain writes the state of the machine for people: the process tree
// (pids in every namespace, root first; threads under their leader), the
// pid namespaces, and the cgroup tree with its members.
func (w *World) Explain(out io.Writer) error {
	k := w.K
	var b strings.Builder
	fmt.Fprintf(&b, "options: %s\n", k.Opts)
	fmt.Fprintf(&b, "step: %d\n\nprocesses (pid in each namespace, root first; what each does next):\n", w.Steps)
	var walk func(t model.TaskID, prefix string)
	walk = func(t model.TaskID, prefix string) {
		fmt.Fprintf(&b, "%s%s  %s\n", prefix, w.Describe(t), w.taskState(t))
		for _, th := range k.Threads(t) {
			if th != t && w.visible(th) {
				fmt.Fprintf(&b, "%s  thread %s  %s\n", prefix, w.Describe(th), w.taskState(th))
			}
		}
		for _, c := range k.ChildrenOf(t) {
			walk(c, prefix+"  ")
		}
	}
	released := 0
	for t := 0; t < k.NumTasks(); t++ {
		id := model.TaskID(t)
		tk := k.Task(id)
		switch {
		case tk.Group == model.NoGroup:
			// a fork that never committed
		case tk.Exit == model.ExitDead && tk.Frame.Path != model.KExit:
			released++
		case tk.Parent == model.NoTask && k.IsLeader(id):
			walk(id, "  ")
		}
	}
	// Committed children whose parent is gone (reparenting pending).
	if released > 0 {
		fmt.Fprintf(&b, "  (%d task(s) exited and released)\n", released)
	}
	b.WriteString("\npid namespaces:\n")
	for n := 0; n < k.NumNS(); n++ {
		fmt.Fprintf(&b, "  ns %d (%s\n", n, strings.Replace(w.nsState(model.NSID(n)), ", ", "): ", 1))
	}
	b.WriteString("\ncgroups:\n")
	for c := model.CgroupID(0); c != model.NoCgroup; c = w.nextCgroup(c) {
		fmt.Fprintf(&b, "  %s  %s\n", k.Path(c), w.cgroupState(c))
		if m := k.Members(c); len(m) > 0 {
			fmt.Fprintf(&b, "    tasks: %s\n", w.DescribeAll(m))
		}
		if d := k.DyingMembers(c); len(d) > 0 {
			fmt.Fprintf(&b, "    dying_tasks: %s\n", w.DescribeAll(d))
		}
	}
	if o := k.CgroupMutexOwner(); o != model.NoTask {
		fmt.Fprintf(&b, "\ncgroup_mutex held by %s\n", w.Describe(o))
	}
	if o := k.ThreadgroupWriter(); o != model.NoTask {
		fmt.Fprintf(&b, "\ncgroup_threadgroup_rwsem held or awaited for writing by %s\n", w.Describe(o))
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// Fact is one line of a machine's state, keyed by what it describes
// ("task writer", "cgroup /test", "pidns 1", "cgroup_mutex"), for
// showing what a step changed (DiffFacts).
type Fact struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Facts lists the state Explain shows, one fact per task, pid namespace,
// cgroup, cgroup member list and held lock, in Explain's order.
func (w *World) Facts() []Fact {
	k := w.K
	var out []Fact
	add := func(key, format string, args ...any) {
		out = append(out, Fact{Key: key, Value: fmt.Sprintf(format, args...)})
	}
	released := 0
	for t := 0; t < k.NumTasks(); t++ {
		id := model.TaskID(t)
		tk := k.Task(id)
		switch {
		case tk.Group == model.NoGroup:
			continue
		case tk.Exit == model.ExitDead && tk.Frame.Path != model.KExit:
			released++
			continue
		}
		rel := ""
		switch {
		case !k.IsLeader(id):
			for _, th := range k.Threads(id) {
				if k.IsLeader(th) {
					rel = " (thread of " + w.taskLabel(th) + ")"
				}
			}
		case tk.Parent != model.NoTask:
			rel = " (child of " + w.taskLabel(tk.Parent) + ")"
		}
		add("task "+w.taskLabel(id), "%s%s; next: %s", w.Describe(id), rel, w.taskState(id))
	}
	if released > 0 {
		add("released tasks", "%d", released)
	}
	for n := 0; n < k.NumNS(); n++ {
		add(fmt.Sprintf("pidns %d", n), "%s", w.nsState(model.NSID(n)))
	}
	for c := model.CgroupID(0); c != model.NoCgroup; c = w.nextCgroup(c) {
		add("cgroup "+k.Path(c), "%s", w.cgroupState(c))
		if m := k.Members(c); len(m) > 0 {
			add("cgroup "+k.Path(c)+" tasks", "%s", w.DescribeAll(m))
		}
		if d := k.DyingMembers(c); len(d) > 0 {
			add("cgroup "+k.Path(c)+" dying_tasks", "%s", w.DescribeAll(d))
		}
	}
	if o := k.CgroupMutexOwner(); o != model.NoTask {
		add("cgroup_mutex", "held by %s", w.Describe(o))
	}
	if o := k.ThreadgroupWriter(); o != model.NoTask {
		add("cgroup_threadgroup_rwsem", "held or awaited for writing by %s", w.Describe(o))
	}
	return out
}

// taskLabel is a task's scenario name, or T<id>.
func (w *World) taskLabel(t model.TaskID) string {
	if n := w.Name(t); n != "" {
		return n
	}
	return fmt.Sprintf("T%d", t)
}

// Change is a fact a step changed: Before is "" for a new fact, After ""
// for one that is gone.
type Change struct {
	Key    string `json:"key"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// DiffFacts lists what changed from before to after: facts whose value
// changed or that are gone, in before's order, then new facts, in after's.
func DiffFacts(before, after []Fact) []Change {
	idx := make(map[string]int, len(after))
	for i, f := range after {
		idx[f.Key] = i
	}
	seen := make([]bool, len(after))
	var out []Change
	for _, f := range before {
		i, ok := idx[f.Key]
		switch {
		case !ok:
			out = append(out, Change{Key: f.Key, Before: f.Value})
		case after[i].Value != f.Value:
			out = append(out, Change{Key: f.Key, Before: f.Value, After: after[i].Value})
		}
		if ok {
			seen[i] = true
		}
	}
	for i, f := range after {
		if !seen[i] {
			out = append(out, Change{Key: f.Key, After: f.Value})
		}
	}
	return out
}

// WriteChanges writes changes for people, indented by indent:
//
//	~ cgroup /test
//	    was: type domain, populated 1, frozen 0
//	    now: type domain, populated 1, frozen 0, kill_seq 1
//	+ task T4: T4[pid 5], child of forker: ...
//	- cgroup_mutex: held by writer[pid 3]
func WriteChanges(out io.Writer, indent string, changes []Change) error {
	var b strings.Builder
	for _, c := range changes {
		switch {
		case c.Before == "":
			fmt.Fprintf(&b, "%s+ %s: %s\n", indent, c.Key, c.After)
		case c.After == "":
			fmt.Fprintf(&b, "%s- %s: %s\n", indent, c.Key, c.Before)
		default:
			fmt.Fprintf(&b, "%s~ %s\n%s    was: %s\n%s    now: %s\n", indent, c.Key, indent, c.Before, indent, c.After)
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// cgroupState says what a cgroup's files say: "type domain, populated 1,
// frozen 0, kill_seq 1, CGRP_KILL set, pids 3/8".
func (w *World) cgroupState(c model.CgroupID) string {
	k := w.K
	cg := k.Cgroup(c)
	var b strings.Builder
	fmt.Fprintf(&b, "type %s, populated %d, frozen %d", k.Type(c), b2i(k.Populated(c)), b2i(k.Frozen(c)))
	if cg.KillSeq != 0 || cg.KillFlag {
		fmt.Fprintf(&b, ", kill_seq %d", cg.KillSeq)
		if cg.KillFlag {
			b.WriteString(", CGRP_KILL set")
		}
	}
	if cg.Freeze {
		b.WriteString(", cgroup.freeze 1")
	}
	if cg.PidsMax >= 0 {
		fmt.Fprintf(&b, ", pids %d/%d", cg.PidsCurrent, cg.PidsMax)
	}
	return b.String()
}

// nsState says what a pid namespace is: "level 1, child_reaper
// cinit[pid 2/1], 5 pid(s) allocated, live".
func (w *World) nsState(n model.NSID) string {
	ns := w.K.NS(n)
	reaper := "none"
	if ns.ChildReaper != model.NoTask {
		reaper = w.Describe(ns.ChildReaper)
	}
	state := "live"
	if !ns.Adding {
		state = "dead (PIDNS_ADDING cleared: forks get ENOMEM)"
	}
	if ns.Terminating {
		state = "terminating (2007 zap)"
	}
	return fmt.Sprintf("level %d, child_reaper %s, %d pid(s) allocated, %s", ns.Level, reaper, ns.Allocated, state)
}

// nextCgroup walks the live cgroups in pre-order from the root.
func (w *World) nextCgroup(c model.CgroupID) model.CgroupID {
	k := w.K
	if ch := k.Children(c); len(ch) > 0 {
		return ch[0]
	}
	for c != model.RootCG {
		p := k.Cgroup(c).Parent
		sib := k.Children(p)
		for i, s := range sib {
			if s == c && i+1 < len(sib) {
				return sib[i+1]
			}
		}
		c = p
	}
	return model.NoCgroup
}

// Dot writes the machine as a Graphviz digraph showing what Explain
// shows: the pid namespaces as nested clusters (with their level,
// child_reaper, pids allocated and state) holding their tasks; the process
// tree (solid edges from parent to child, dotted from a thread group's
// leader to its other threads; zombies dashed); the cgroup tree (boxes
// with type, populated, frozen, kill_seq / CGRP_KILL and pids), with a
// dashed edge from each cgroup to its member tasks and a dotted one to its
// dying tasks; and the holders of cgroup_mutex and of
// cgroup_threadgroup_rwsem for writing.
func (w *World) Dot(out io.Writer) error {
	k := w.K
	var b strings.Builder
	b.WriteString("digraph cgsim {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n")
	fmt.Fprintf(&b, "  label=%q;\n  labelloc=t;\n", fmt.Sprintf("options %s, step %d", k.Opts, w.Steps))
	// Tasks by namespace, namespaces by parent.
	tasksIn := make([][]model.TaskID, k.NumNS())
	for t := 0; t < k.NumTasks(); t++ {
		id := model.TaskID(t)
		if w.visible(id) && k.Task(id).NS != model.NoNS {
			ns := k.Task(id).NS
			tasksIn[ns] = append(tasksIn[ns], id)
		}
	}
	var cluster func(n model.NSID, indent string)
	cluster = func(n model.NSID, indent string) {
		fmt.Fprintf(&b, "%ssubgraph cluster_ns%d {\n", indent, n)
		fmt.Fprintf(&b, "%s  label=%q;\n%s  style=rounded;\n", indent, fmt.Sprintf("pid ns %d: %s", n, w.nsState(n)), indent)
		for _, id := range tasksIn[n] {
			style := ""
			if k.Task(id).Exit == model.ExitZombie {
				style = ", style=dashed"
			}
			fmt.Fprintf(&b, "%s  t%d [label=%q%s];\n", indent, id, w.Describe(id)+"\n"+w.taskState(id), style)
		}
		for c := 0; c < k.NumNS(); c++ {
			if c != int(n) && k.NS(model.NSID(c)).Parent == n {
				cluster(model.NSID(c), indent+"  ")
			}
		}
		fmt.Fprintf(&b, "%s}\n", indent)
	}
	for n := 0; n < k.NumNS(); n++ {
		if p := k.NS(model.NSID(n)).Parent; p == model.NoNS || p == model.NSID(n) {
			cluster(model.NSID(n), "  ")
		}
	}
	for t := 0; t < k.NumTasks(); t++ {
		id := model.TaskID(t)
		if !w.visible(id) {
			continue
		}
		if p := k.Task(id).Parent; p != model.NoTask && k.IsLeader(id) && w.visible(p) {
			fmt.Fprintf(&b, "  t%d -> t%d;\n", p, t)
		}
		if k.IsLeader(id) {
			for _, th := range k.Threads(id) {
				if th != id && w.visible(th) {
					fmt.Fprintf(&b, "  t%d -> t%d [style=dotted, label=\"thread\"];\n", id, th)
				}
			}
		}
	}
	for c := model.CgroupID(0); c != model.NoCgroup; c = w.nextCgroup(c) {
		label := k.Path(c) + "\n" + strings.ReplaceAll(w.cgroupState(c), ", ", "\n")
		fmt.Fprintf(&b, "  c%d [shape=box, label=%q];\n", c, label)
		if p := k.Cgroup(c).Parent; p != model.NoCgroup {
			fmt.Fprintf(&b, "  c%d -> c%d;\n", p, c)
		}
		for _, t := range k.Members(c) {
			fmt.Fprintf(&b, "  c%d -> t%d [style=dashed, arrowhead=none];\n", c, t)
		}
		for _, t := range k.DyingMembers(c) {
			fmt.Fprintf(&b, "  c%d -> t%d [style=dotted, arrowhead=none, label=\"dying\"];\n", c, t)
		}
	}
	if o := k.CgroupMutexOwner(); o != model.NoTask {
		fmt.Fprintf(&b, "  cgroup_mutex [shape=octagon, label=\"cgroup_mutex\"];\n  cgroup_mutex -> t%d [label=\"held by\"];\n", o)
	}
	if o := k.ThreadgroupWriter(); o != model.NoTask {
		fmt.Fprintf(&b, "  tg_rwsem [shape=octagon, label=\"cgroup_threadgroup_rwsem\\n(writer)\"];\n  tg_rwsem -> t%d [label=\"held or awaited by\"];\n", o)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(out, b.String())
	return err
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
