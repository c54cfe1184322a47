package model

// This file is the kernel's own group kill: an OOM event in a memory
// cgroup whose memory.oom.group is set (mm/oom_kill.c, mm/memcontrol.c,
// 6.x). The allocating task runs the OOM killer under oom_lock:
// select_bad_process picks a victim, oom_kill_process SIGKILLs it and,
// when mem_cgroup_get_oom_group finds an oom group, walks it with
// mem_cgroup_scan_tasks(oom_group, oom_kill_memcg_member): every memcg of
// the group in pre-order, each with the same css_task_iter cgroup.kill
// uses (CSS_TASK_ITER_PROCS, on the memory css), SIGKILLing each process
// it yields outside css_set_lock. Unlike __cgroup_kill it holds neither
// cgroup_mutex nor anything a fork checks: no CGRP_KILL, no kill_seq, so
// migration runs during the walk and cgroup_post_fork never kills a child
// on its behalf. Unlike __cgroup_kill it delivers to the thread group
// (__oom_kill_process: find_lock_task_mm, then do_send_sig_info(SIGKILL,
// SEND_SIG_PRIV, PIDTYPE_TGID)), so a zombie leader's live threads die
// with it.
//
// There is no memory in the model: no page counters, no limits, no
// reclaim, no rss. An OOM happens where a scenario says (OOM), in the
// memcg it names, and the process the scenario names as the memory hog
// has the highest badness.

// oom_score_adj bounds (include/uapi/linux/oom.h).
const (
	// OOM_SCORE_ADJ_MIN exempts a process from the OOM killer: oom_badness
	// gives it no points and oom_kill_memcg_member skips it.
	OOM_SCORE_ADJ_MIN = -1000
	// OOM_SCORE_ADJ_MAX is the largest oom_score_adj.
	OOM_SCORE_ADJ_MAX = 1000
)

// OOM steps. Nothing the OOM path holds (oom_lock, css_set_lock inside
// css_task_iter_next, task_lock and siglock in __oom_kill_process) is
// taken by fork, exit, migration or cgroup.kill, except css_set_lock,
// which the iterator drops before each kill: those paths can run at every
// boundary below.
const (
	oomLockWait   = iota // mutex_lock_killable(&oom_lock), then select_bad_process
	oomKill              // oom_kill_process: mem_cgroup_get_oom_group, __oom_kill_process(victim)
	oomIterStart         // mem_cgroup_iter's memcg: css_task_iter_start(CSS_TASK_ITER_PROCS)
	oomIterate           // css_task_iter_next: yield a process, advance (css_set_lock)
	oomKillMember        // oom_kill_memcg_member → __oom_kill_process (task_lock, siglock)
)

// oomIterFlags are the flags of mem_cgroup_scan_tasks's iterator:
// CSS_TASK_ITER_PROCS (no THREADED) on the memcg's css.
const oomIterFlags = IterProcs | IterMemcg

// oomBadnessHog is the badness of the process the scenario names as the
// memory hog: more than any oom_score_adj can give a process that uses
// no memory.
const oomBadnessHog = 1 << 20

// OOM is an allocation by t that the memory cgroup memcg cannot satisfy:
// t's charge has hit memcg's limit and reclaim failed (try_charge_memcg →
// mem_cgroup_oom → mem_cgroup_out_of_memory(memcg)), or, with memcg
// RootCG, the page allocator has run out (out_of_memory with no memcg: a
// global OOM). hog is the process the scenario says uses the memory (the
// one oom_badness ranks first), or NoTask: then every candidate has the
// badness of a process without memory, max(oom_score_adj, 1), and the
// first one of the walk wins. The first step runs at once. The frame
// keeps oc->memcg in Cg, the hog in Arg, the chosen victim and then each
// yielded process in Child, the oom group in Arg2, the memcg being
// walked in Cur with its iterator, and the count of SIGKILLs queued in
// Arg3.
//
// Results: the number of processes whose SIGKILL __oom_kill_process
// queued (not those already exiting as a whole), once oom_kill_process
// has run: the victim, unless it had already let go of its memory, and
// its oom group, if any;
// EAGAIN when the OOM killer kills nothing new (a victim is already on
// its way out: tsk_is_oom_victim aborts the selection, or the chosen
// victim or t itself is exiting, task_will_free_mem; the kernel retries
// the charge); ENOMEM when there is no killable process ("Out of memory
// and no killable processes", the charge fails); EINTR when t is killed
// while it waits for oom_lock; ENOENT when memcg is not an online cgroup
// with a memory css (no memory.max to hit); EINVAL when t is not charged
// to memcg (its cgroup is not in memcg's subtree).
func (k *Kernel) OOM(t TaskID, memcg CgroupID, hog TaskID) {
	k.begin(t, "mem_cgroup_out_of_memory")
	tk := k.mtask(t)
	if hog < 0 || int(hog) >= len(k.tasks) {
		hog = NoTask
	}
	tk.Frame = Frame{Path: KOOM, PC: oomLockWait, Cg: memcg, Arg: int32(hog), Arg2: int32(NoCgroup), Child: NoTask, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	switch {
	case memcg < 0 || int(memcg) >= len(k.cgroups) || !k.cgroups[memcg].Online || !k.memcgEnabled(memcg):
		k.finish(t, -1, ENOENT)
		return
	case !k.InSubtree(tk.Cgroup, memcg):
		k.finish(t, -1, EINVAL)
		return
	}
	if k.tracing {
		if memcg == RootCG {
			k.notef("global OOM (out_of_memory, no memcg)")
		} else {
			k.notef("memcg OOM in %s", k.Path(memcg))
		}
	}
	if k.oomRunnable(t) {
		k.stepOOM(t)
	}
}

// OomLockOwner is the task holding oom_lock, or NoTask.
func (k *Kernel) OomLockOwner() TaskID { return k.oomLockOwner }

// oomRunnable: only the wait for oom_lock blocks, and mutex_lock_killable
// wakes for a fatal signal.
func (k *Kernel) oomRunnable(t TaskID) bool {
	if k.tasks[t].Frame.PC != oomLockWait {
		return true
	}
	return k.oomLockOwner == NoTask || k.oomLockOwner == t || k.FatalSignalPending(t)
}

func (k *Kernel) oomUnlockFinish(t TaskID, ret int32, err Errno) {
	if k.oomLockOwner == t {
		k.oomLockOwner = NoTask
	}
	k.oomIterEnd(t)
	for i, it := range k.iters {
		if it == t {
			k.iters = append(k.iters[:i:i], k.iters[i+1:]...)
			break
		}
	}
	k.finish(t, ret, err)
}

func (k *Kernel) stepOOM(t TaskID) {
	f := &k.mtask(t).Frame
	switch f.PC {
	case oomLockWait:
		k.begin(t, "mem_cgroup_out_of_memory")
		if k.oomLockOwner != NoTask && k.oomLockOwner != t {
			// Woken in mutex_lock_killable by a fatal signal.
			k.finish(t, -1, EINTR)
			return
		}
		k.oomLockOwner = t
		// task_is_dying() under oom_lock (mem_cgroup_out_of_memory; the
		// kernels without it reach the same answer through
		// out_of_memory's task_will_free_mem(current)).
		if k.groups[k.tasks[t].Group].OomVictim || k.FatalSignalPending(t) || k.taskWillFreeMem(t) {
			if k.tracing {
				k.notef("current is dying: no OOM kill")
			}
			k.oomUnlockFinish(t, -1, EAGAIN)
			return
		}
		k.begin(t, "select_bad_process")
		victim, abort := k.selectBadProcess(t)
		f = &k.mtask(t).Frame
		switch {
		case abort:
			if k.tracing {
				k.notef("an OOM victim is still exiting: abort, no new victim")
			}
			k.oomUnlockFinish(t, -1, EAGAIN)
			return
		case victim == NoTask:
			if k.tracing {
				k.notef("Out of memory and no killable processes...")
			}
			k.oomUnlockFinish(t, -1, ENOMEM)
			return
		}
		if k.tracing {
			k.notef("chose %s", k.Describe(victim))
		}
		f.Child = victim // get_task_struct: it may exit, move or be released meanwhile
		f.PC = oomKill
	case oomKill:
		k.begin(t, "oom_kill_process")
		v := f.Child
		if k.taskWillFreeMem(v) {
			// The victim is already exiting: it gets the reserves and the
			// oom reaper, nobody is killed, the oom group neither.
			k.markOomVictim(v)
			if k.tracing {
				k.notef("%s is already exiting (task_will_free_mem): marked, no kill", k.Describe(v))
			}
			k.oomUnlockFinish(t, -1, EAGAIN)
			return
		}
		group := k.memCgroupGetOomGroup(v, f.Cg)
		k.oomKillTask(t, v, f.Cg)
		f = &k.mtask(t).Frame
		f.Child = NoTask
		if group == NoCgroup {
			k.oomUnlockFinish(t, f.Arg3, OK)
			return
		}
		if k.tracing {
			k.notef("Tasks in %s are going to be killed due to memory.oom.group set", k.Path(group))
		}
		f.Arg2 = int32(group)
		f.Cur = group
		f.PC = oomIterStart
		k.iters = append(k.iters, t) // the walk's iterator, positioned from the next step on
	case oomIterStart:
		k.begin(t, "css_task_iter_start")
		f.Cset, f.Dcset, f.Iter, f.iterList, f.iterSkipped = NoCset, NoCset, NoTask, onNoList, false
		k.iterAdvance(f, oomIterFlags, true, true)
		k.oomIterNormalize(f)
		f.PC = oomIterate
	case oomIterate:
		k.begin(t, "mem_cgroup_scan_tasks")
		if f.iterSkipped {
			if k.tracing {
				k.notef("the task under the iterator was unlinked (css_task_iter_skip): the advance goes on from its successor")
			}
			k.iterAdvance(f, oomIterFlags, true, false)
		}
		if f.iterList == onNoList {
			// css_task_iter_end, then mem_cgroup_iter: the next memcg of
			// the oom group in pre-order, or the end of the walk.
			k.oomIterEnd(t)
			next := k.nextMemcgPre(f.Cur, CgroupID(f.Arg2))
			if next == NoCgroup {
				k.oomUnlockFinish(t, f.Arg3, OK)
				return
			}
			f.Cur = next
			f.PC = oomIterStart
			return
		}
		v := f.Iter
		k.iterAdvance(f, oomIterFlags, true, false)
		k.oomIterNormalize(f)
		if k.tracing {
			k.notef("css_task_iter_next yields %s", k.Describe(v))
		}
		f.Child = v
		f.PC = oomKillMember
	case oomKillMember:
		k.begin(t, "oom_kill_memcg_member")
		v := f.Child
		if k.groups[k.tasks[v].Group].OomScoreAdj == OOM_SCORE_ADJ_MIN || k.isGlobalInit(v) {
			if k.tracing {
				k.notef("skips %s (oom_score_adj -1000 or global init)", k.Describe(v))
			}
		} else {
			k.oomKillTask(t, v, CgroupID(f.Arg2))
		}
		f = &k.mtask(t).Frame
		f.Child = NoTask
		f.PC = oomIterate
	}
}

// oomIterNormalize: without CSS_TASK_ITER_THREADED the css_set at
// cset_pos is the iterator's pinned cur_cset, so Dcset is only meaningful
// while the walk has a position.
func (k *Kernel) oomIterNormalize(f *Frame) {
	if f.iterList == onNoList {
		f.Dcset = NoCset
	}
}

// oomIterEnd is css_task_iter_end(): drop the pinned css_set.
func (k *Kernel) oomIterEnd(t TaskID) {
	f := &k.mtask(t).Frame
	if f.Cset != NoCset {
		k.putCset(f.Cset)
	}
	f = &k.mtask(t).Frame
	f.Cset, f.Dcset, f.Iter, f.iterList, f.iterSkipped = NoCset, NoCset, NoTask, onNoList, false
}

// selectBadProcess is select_bad_process() with oom_evaluate_task(), as
// one step: mem_cgroup_scan_tasks over the OOMing memcg's tree, or
// for_each_process for a global OOM (every leader not yet released, in
// creation order; after an exec the kernel's list keeps the old leader's
// place for the new one, the model's order does not). It returns the
// chosen leader, or abort when a process of the scan is an OOM victim
// still holding its memory.
func (k *Kernel) selectBadProcess(t TaskID) (TaskID, bool) {
	f := &k.rtask(t).Frame
	memcg, hog := f.Cg, TaskID(f.Arg)
	chosen, best := NoTask, int64(0)
	// oom_evaluate_task: true aborts the scan.
	eval := func(p TaskID) bool {
		if k.isGlobalInit(p) || k.tasks[p].Flags&PF_KTHREAD != 0 {
			return false // oom_unkillable_task
		}
		if k.groups[k.tasks[p].Group].OomVictim {
			// MMF_OOM_SKIP once its memory is gone: then skip it.
			return k.findLockTaskMM(p) != NoTask
		}
		if pts := k.oomBadness(p, hog); pts > best {
			// Equal points keep the leader chosen first.
			chosen, best = p, pts
		}
		return false
	}
	if memcg == RootCG {
		for i := range k.tasks {
			p := TaskID(i)
			if tk := k.rtask(p); tk.Group == NoGroup || tk.Exit == ExitDead || !k.IsLeader(p) {
				continue
			}
			if eval(p) {
				return NoTask, true
			}
		}
		return chosen, false
	}
	for m := memcg; m != NoCgroup; m = k.nextMemcgPre(m, memcg) {
		for _, p := range k.IterTasks(m, oomIterFlags) {
			if eval(p) {
				return NoTask, true
			}
		}
	}
	return chosen, false
}

// oomBadness is oom_badness() for a machine without memory: 0 for an
// exempt process (oom_score_adj -1000) or one none of whose threads has
// an mm any more; else the process's rss (oomBadnessHog for the hog, 0
// for the others) plus oom_score_adj (normalised to totalpages = 1000),
// and at least 1.
func (k *Kernel) oomBadness(p, hog TaskID) int64 {
	g := k.rgroup(k.tasks[p].Group)
	if g.OomScoreAdj == OOM_SCORE_ADJ_MIN || k.findLockTaskMM(p) == NoTask {
		return 0
	}
	pts := int64(g.OomScoreAdj)
	if hog != NoTask && k.tasks[hog].Group == k.tasks[p].Group {
		pts += oomBadnessHog
	}
	return max(pts, 1)
}

// hasMM reports whether t still has its mm: a user task that has not
// passed exit_mm. do_exit calls exit_mm after exit_signals, in the
// teardown the model folds into the step after exit_signals (exitCgroup,
// or exitNotify with populated=at-final-switch), so the mm is there until
// that step has run.
func (k *Kernel) hasMM(t TaskID) bool {
	tk := k.rtask(t)
	if tk.Flags&PF_KTHREAD != 0 || tk.Group == NoGroup || tk.Exit != ExitNone {
		return false
	}
	if tk.Frame.Path != KExit {
		return true
	}
	switch tk.Frame.PC {
	case exitSignals, exitCgroup:
		return true
	case exitNotify:
		return k.Opts.Populated == PopulatedAtFinalSwitch
	}
	return false
}

// findLockTaskMM is find_lock_task_mm(): the first thread of p's group
// (for_each_thread, the leader first) that still has an mm, or NoTask.
// For a zombie leader it is one of its live threads.
func (k *Kernel) findLockTaskMM(p TaskID) TaskID {
	for th := k.groups[k.tasks[p].Group].threadHead; th != NoTask; th = k.tasks[th].thrNext {
		if k.hasMM(th) {
			return th
		}
	}
	return NoTask
}

// taskWillFreeMem is task_will_free_mem(): t has its mm and its process
// is exiting as a whole (SIGNAL_GROUP_EXIT), or t is the only thread and
// exiting; but not while the process dumps core (__task_will_free_mem:
// "if (sig->core_state) return false": the dump can sleep for long in
// coredump_task_exit). (Processes sharing an mm without CLONE_THREAD are
// not modelled.)
func (k *Kernel) taskWillFreeMem(t TaskID) bool {
	if !k.hasMM(t) || k.groups[k.tasks[t].Group].CoreState {
		return false
	}
	if k.groups[k.tasks[t].Group].Flags&SIGNAL_GROUP_EXIT != 0 {
		return true
	}
	return k.threadGroupEmpty(t) && k.tasks[t].Flags&PF_EXITING != 0
}

// markOomVictim is mark_oom_victim(): signal->oom_mm is set (TIF_MEMDIE
// and the reserves have no effect in the model).
func (k *Kernel) markOomVictim(t TaskID) { k.mgroup(k.tasks[t].Group).OomVictim = true }

// oomKillTask is __oom_kill_process(v): find a thread of v's process
// that still has an mm (find_lock_task_mm; none: "OOM victim is already
// exiting. Skip killing the task"), SIGKILL it with SEND_SIG_PRIV and
// PIDTYPE_TGID (group delivery, forced), and mark it. domain is the
// cgroup the kill is meant for (the OOMing memcg for the victim, the oom
// group for a member), for the coverage point. Processes sharing the
// victim's mm without CLONE_THREAD (the for_each_process loop after the
// kill) do not exist in the model.
func (k *Kernel) oomKillTask(t, v TaskID, domain CgroupID) {
	p := k.findLockTaskMM(v)
	if p == NoTask {
		if k.tracing {
			k.notef("OOM victim %s is already exiting. Skip killing the task", k.Describe(v))
		}
		return
	}
	if p != v {
		k.Cover |= CovOOMKillViaOtherThread
	}
	if c := k.taskCgroup(p); !k.InSubtree(c, domain) {
		k.Cover |= CovOOMKilledOutsideGroup
		if k.tracing {
			k.notef("%s is in %s now, outside %s", k.Describe(p), k.Path(c), k.Path(domain))
		}
	}
	if k.tracing && p != v {
		k.notef("find_lock_task_mm(%s) = %s", k.Describe(v), k.Describe(p))
	}
	if k.sendSignal(SIGKILL, infoPriv, p, true, t) {
		k.mtask(t).Frame.Arg3++
	}
	k.markOomVictim(p)
}

// memCgroupGetOomGroup is mem_cgroup_get_oom_group(victim, oom_domain):
// from the victim's memcg up to the OOMing one (the root for a global
// OOM), the highest memcg with memory.oom.group set; NoCgroup if none, if
// the victim is in the root memcg, or if it is no longer below the
// domain (it moved away since it was chosen: it is killed alone; "mm:
// memcg: make memory.oom.group tolerable to task migration", Roman
// Gushchin, 2020).
func (k *Kernel) memCgroupGetOomGroup(v TaskID, domain CgroupID) CgroupID {
	m := k.memcgOf(k.taskCgroup(v))
	if m == RootCG || !k.InSubtree(m, domain) {
		return NoCgroup
	}
	group := NoCgroup
	for c := m; c != NoCgroup; c = k.cgroups[c].Parent {
		if k.cgroups[c].OomGroup {
			group = c
		}
		if c == domain {
			break
		}
	}
	return group
}

// taskCgroup is the v2 cgroup of t's task->cgroups: its css_set's, or,
// for a child between copy_process's commit and cgroup_post_fork (on
// the process list, on no css_set list), the root's: cgroup_fork points
// task->cgroups at init_css_set until cgroup_post_fork moves it.
func (k *Kernel) taskCgroup(t TaskID) CgroupID {
	if c := k.tasks[t].Cgroup; c != NoCgroup {
		return c
	}
	return RootCG
}

// memcgEnabled reports whether c has a memory css (a struct mem_cgroup):
// the root, or a cgroup whose parent enables +memory in
// cgroup.subtree_control (cgroup_ss_mask). Only those have memory.*
// files.
func (k *Kernel) memcgEnabled(c CgroupID) bool {
	p := k.cgroups[c].Parent
	return p == NoCgroup || k.cgroups[p].SubtreeControl&CtrlMemory != 0
}

// memcgOf is the memcg that c's css_sets point to (cset->subsys[memory]:
// cgroup_e_css): c itself if it has a memory css, else its nearest
// ancestor that has one.
func (k *Kernel) memcgOf(c CgroupID) CgroupID {
	for !k.memcgEnabled(c) {
		c = k.cgroups[c].Parent
	}
	return c
}

// MemcgOf is the cgroup whose memory css cgroup c's tasks are charged to.
func (k *Kernel) MemcgOf(c CgroupID) CgroupID { return k.memcgOf(c) }

// nextMemcgPre is mem_cgroup_iter() without reclaim cookie: the next
// cgroup after pos in a pre-order walk of root's live subtree that has a
// memory css, or NoCgroup. (Below a cgroup without a memory css there is
// none: its children cannot enable +memory.)
func (k *Kernel) nextMemcgPre(pos, root CgroupID) CgroupID {
	for c := k.nextPre(pos, root); c != NoCgroup; c = k.nextPre(c, root) {
		if k.memcgEnabled(c) {
			return c
		}
	}
	return NoCgroup
}

// nextMemcgCset is the step along memcg m's e_csets[memory_cgrp_id]
// (css_task_iter_next_css_set with it->ss set): the oldest css_set
// created after pos (after none: the oldest of all) whose memory css is
// m's. The model re-derives a css_set's memcg from the current
// controller masks; the kernel gives the css_sets new csses (and moves
// the tasks) when +memory changes, which the model does not do.
func (k *Kernel) nextMemcgCset(m CgroupID, pos CsetID) CsetID {
	after := int32(-1)
	if pos != NoCset {
		after = k.csets[pos].order
	}
	best := NoCset
	for i := range k.csets {
		x := k.rcset(CsetID(i))
		if x.Cgroup == NoCgroup || x.order <= after || (best != NoCset && x.order >= k.csets[best].order) {
			continue
		}
		if k.memcgOf(x.Cgroup) == m {
			best = CsetID(i)
		}
	}
	return best
}

// oomWalkPassed reports whether an OOM group walk that covers css_set cs
// (cs's memcg is in the oom group's tree) will not reach cs's tasks list
// again: the walk has finished cs's memcg, or is in it and has left cs or
// is on its dying list. A child linked at the tail of cs now is never
// yielded.
func (k *Kernel) oomWalkPassed(cs CsetID) bool {
	m := k.memcgOf(k.csets[cs].Cgroup)
	for _, it := range k.iters {
		f := k.tasks[it].Frame // a copy: the look-ahead below must not move it
		if f.Path != KOOM || f.PC < oomIterStart {
			continue
		}
		root := CgroupID(f.Arg2)
		if !k.InSubtree(m, root) {
			continue
		}
		if m != f.Cur {
			for c := root; c != f.Cur && c != NoCgroup; c = k.nextMemcgPre(c, root) {
				if c == m {
					return true // walked before the current memcg
				}
			}
			continue
		}
		if f.PC == oomIterStart || (f.Cset == cs && f.iterList == onTasks) {
			continue
		}
		ahead := false
		for f.iterList != onNoList && !ahead {
			k.iterAdvanceCset(&f, oomIterFlags, false)
			ahead = f.iterList != onNoList && f.Cset == cs
		}
		if !ahead {
			return true
		}
	}
	return false
}

// SetupOomScoreAdj sets the oom_score_adj of t's process at setup, as a
// write to /proc/PID/oom_score_adj does (__set_oom_adj; processes that
// share t's mm without CLONE_THREAD do not exist in the model). The
// processes it forks from then on inherit it. EINVAL out of
// -1000..1000 or for a kernel thread.
func (k *Kernel) SetupOomScoreAdj(t TaskID, adj int) Errno {
	if adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX || k.tasks[t].Flags&PF_KTHREAD != 0 || k.tasks[t].Group == NoGroup {
		return EINVAL
	}
	k.mgroup(k.tasks[t].Group).OomScoreAdj = int16(adj)
	return OK
}
