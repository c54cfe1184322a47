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
		ns := k.NS(model.NSID(n))
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
		fmt.Fprintf(&b, "  ns %d (level %d): child_reaper %s, %d pid(s) allocated, %s\n", n, ns.Level, reaper, ns.Allocated, state)
	}
	b.WriteString("\ncgroups:\n")
	for c := model.CgroupID(0); c != model.NoCgroup; c = w.nextCgroup(c) {
		cg := k.Cgroup(c)
		fmt.Fprintf(&b, "  %s  type %s, populated %d, frozen %d", k.Path(c), k.Type(c), b2i(k.Populated(c)), b2i(k.Frozen(c)))
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
		b.WriteString("\n")
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
	_, err := io.WriteString(out, b.String())
	return err
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

// Dot writes the machine as a Graphviz digraph: the process tree (solid
// edges from parent to child) and the cgroup tree (boxes), with a dashed
// edge from each cgroup to its member tasks.
func (w *World) Dot(out io.Writer) error {
	k := w.K
	var b strings.Builder
	b.WriteString("digraph cgsim {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n")
	for t := 0; t < k.NumTasks(); t++ {
		id := model.TaskID(t)
		if !w.visible(id) {
			continue
		}
		style := ""
		if k.Task(id).Exit == model.ExitZombie {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  t%d [label=%q%s];\n", t, w.Describe(id)+"\n"+w.taskState(id), style)
		if p := k.Task(id).Parent; p != model.NoTask && k.IsLeader(id) {
			fmt.Fprintf(&b, "  t%d -> t%d;\n", p, t)
		}
	}
	for c := model.CgroupID(0); c != model.NoCgroup; c = w.nextCgroup(c) {
		label := fmt.Sprintf("%s\npopulated %d", k.Path(c), b2i(k.Populated(c)))
		fmt.Fprintf(&b, "  c%d [shape=box, label=%q];\n", c, label)
		if p := k.Cgroup(c).Parent; p != model.NoCgroup {
			fmt.Fprintf(&b, "  c%d -> c%d;\n", p, c)
		}
		for _, t := range k.Members(c) {
			fmt.Fprintf(&b, "  c%d -> t%d [style=dashed, arrowhead=none];\n", c, t)
		}
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
