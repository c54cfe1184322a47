package model

import (
	"fmt"
	"strings"
)

// CgroupFile names an interface file of a cgroup (or mkdir/rmdir, which
// run under cgroup_mutex like the writes).
type CgroupFile uint8

// The files the model implements.
const (
	FileProcs CgroupFile = iota
	FileThreads
	FileKill
	FileFreeze
	FileType
	FileSubtreeControl
	FileControllers
	FileEvents
	FilePidsMax
	FilePidsCurrent
	FilePidsEvents
	FileMaxDescendants
	FileMaxDepth
	FileStat
	FileMemoryOomGroup
	fileMkdir
	fileRmdir
)

var fileNames = []string{
	"cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze", "cgroup.type",
	"cgroup.subtree_control", "cgroup.controllers", "cgroup.events", "pids.max",
	"pids.current", "pids.events", "cgroup.max.descendants", "cgroup.max.depth", "cgroup.stat",
	"memory.oom.group", "mkdir", "rmdir",
}

// String is the file name ("cgroup.kill").
func (f CgroupFile) String() string { return fileNames[f] }

// CgroupFileNames lists the interface files the model has.
func CgroupFileNames() []string { return append([]string(nil), fileNames[:fileMkdir]...) }

// ParseCgroupFile maps a file name to a CgroupFile.
func ParseCgroupFile(s string) (CgroupFile, bool) {
	for i, n := range fileNames[:fileMkdir] {
		if n == s {
			return CgroupFile(i), true
		}
	}
	return 0, false
}

// fileExists reports whether c has the file (CFTYPE_NOT_ON_ROOT files are
// absent on the root; controller files exist where the parent enables the
// controller). Opening a missing file fails with ENOENT.
func (k *Kernel) fileExists(c CgroupID, f CgroupFile) bool {
	switch f {
	case FileKill, FileFreeze, FileType, FileEvents:
		return c != RootCG
	case FilePidsMax, FilePidsCurrent, FilePidsEvents:
		return k.pidsEnabled(c)
	case FileMemoryOomGroup:
		// memory_files[]: "oom.group" is CFTYPE_NOT_ON_ROOT.
		return c != RootCG && k.memcgEnabled(c)
	}
	return true
}

// isSpace is the kernel's isspace() for ASCII.
func isSpace(b byte) bool { return b == ' ' || (b >= '\t' && b <= '\r') }

// strstrip is strstrip(): drop leading and trailing whitespace.
func strstrip(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// Kstrtoint is kstrtoint(s, 0, &v) (lib/kstrtox.c): optional sign, base
// from the prefix ("0x" hex, "0" octal, else decimal), one trailing
// newline allowed. EINVAL for a malformed string, ERANGE for overflow.
func Kstrtoint(s string) (int32, Errno) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := uint64(10)
	if len(s) >= 3 && s[0] == '0' && (s[1]|0x20) == 'x' && isHex(s[2]) {
		base, s = 16, s[2:]
	} else if len(s) >= 1 && s[0] == '0' {
		base = 8
	}
	var v uint64
	n := 0
	overflow := false
	for ; n < len(s); n++ {
		d, ok := digit(s[n])
		if !ok || d >= base {
			break
		}
		if v > (1<<63)/base {
			overflow = true
		}
		v = v*base + d
	}
	if n == 0 {
		return 0, EINVAL
	}
	rest := s[n:]
	if rest == "\n" {
		rest = ""
	}
	if rest != "" {
		return 0, EINVAL
	}
	if overflow {
		return 0, ERANGE
	}
	if neg {
		if v > 1<<31 {
			return 0, ERANGE
		}
		return int32(-int64(v)), OK
	}
	if v > 1<<31-1 {
		return 0, ERANGE
	}
	return int32(v), OK
}

func isHex(b byte) bool { _, ok := digit(b); d, _ := digit(b); return ok && d < 16 }

func digit(b byte) (uint64, bool) {
	switch {
	case b >= '0' && b <= '9':
		return uint64(b - '0'), true
	case b >= 'a' && b <= 'f':
		return uint64(b-'a') + 10, true
	case b >= 'A' && b <= 'F':
		return uint64(b-'A') + 10, true
	}
	return 0, false
}

// cgroup.kill walk steps.
const (
	cgwLock       = iota // waiting for cgroup_mutex (every write starts here)
	cgwMigrate           // cgroup.procs/threads: holding the mutex, waiting for the threadgroup rwsem
	killStart            // __cgroup_kill: set CGRP_KILL / kill_seq++ under css_set_lock
	killIterStart        // css_task_iter_start
	killIterate          // css_task_iter_next: yield a task, advance (css_set_lock)
	killSignal           // send_sig(SIGKILL) to the yielded task (siglock only)
	killClear            // clear CGRP_KILL (flag mode), then the next cgroup
)

// WriteFile is write(2) of value to file f of cgroup c by task t. Parse
// errors return at once; everything else runs under cgroup_mutex, which
// the write may have to wait for. The first step runs at once.
func (k *Kernel) WriteFile(t TaskID, c CgroupID, f CgroupFile, value string) {
	k.begin(t, "cgroup_file_write")
	tk := k.mtask(t)
	tk.Frame = Frame{Path: KCgroupWrite, PC: cgwLock, Arg: int32(f), Cg: c, Child: NoTask, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	fr := &tk.Frame
	if k.tracing {
		k.notef("write %q to %s/%s", value, strings.TrimSuffix(k.Path(c), "/"), f)
	}
	if c < 0 || int(c) >= len(k.cgroups) || !k.fileExists(c, f) {
		k.finish(t, -1, ENOENT)
		return
	}
	if !k.cgroups[c].Online {
		// A write through a file opened before rmdir: kernfs has
		// deactivated the node (probe: ENODEV for kill, freeze, procs).
		k.finish(t, -1, ENODEV)
		return
	}
	if value == "" {
		// cgroup_file_write returns 0 for a zero-length write without
		// calling the handler (probe kill_errno.c on 6.18).
		k.finish(t, 0, OK)
		return
	}
	fr.Arg2 = int32(len(value))
	switch f {
	case FileKill:
		// cgroup_kill_write: kstrtoint(strstrip(buf), 0), then != 1 → ERANGE.
		v, err := Kstrtoint(strstrip(value))
		if err == OK && v != 1 {
			err = ERANGE
		}
		if err != OK {
			k.finish(t, -1, err)
			return
		}
	case FileFreeze:
		v, err := Kstrtoint(strstrip(value))
		if err == OK && (v < 0 || v > 1) {
			err = ERANGE
		}
		if err != OK {
			k.finish(t, -1, err)
			return
		}
		fr.Seq = uint32(v)
	case FileType:
		if strstrip(value) != "threaded" {
			k.finish(t, -1, EINVAL)
			return
		}
	case FileSubtreeControl:
		en, dis, err := parseSubtreeControl(value)
		if err != OK {
			k.finish(t, -1, err)
			return
		}
		fr.Flags = uint32(en) | uint32(dis)<<16
	case FilePidsMax:
		// pids_max_write: "max" or kstrtoll; < 0 or >= PIDS_MAX → EINVAL.
		// It does not take cgroup_mutex.
		s := strstrip(value)
		lim := int32(-1)
		if s != "max" {
			v, err := Kstrtoint(s)
			if err != OK || v < 0 || v > 4194304 {
				k.finish(t, -1, EINVAL)
				return
			}
			lim = v
		}
		k.mcgroup(c).PidsMax = lim
		k.finish(t, fr.Arg2, OK)
		return
	case FileMemoryOomGroup:
		// memory_oom_group_write: kstrtoint(strstrip(buf), 0), then
		// anything but 0 or 1 is EINVAL; WRITE_ONCE(memcg->oom_group).
		// A css file: no cgroup_mutex.
		v, err := Kstrtoint(strstrip(value))
		if err == OK && v != 0 && v != 1 {
			err = EINVAL
		}
		if err != OK {
			k.finish(t, -1, err)
			return
		}
		k.mcgroup(c).OomGroup = v == 1
		if k.tracing {
			k.notef("%s memory.oom.group %d", k.Path(c), v)
		}
		k.finish(t, fr.Arg2, OK)
		return
	case FileMaxDescendants, FileMaxDepth:
		s := strstrip(value)
		lim := int32(-1)
		if s != "max" {
			v, err := Kstrtoint(s)
			if err == OK && v < 0 {
				err = ERANGE
			}
			if err != OK {
				k.finish(t, -1, err)
				return
			}
			lim = v
		}
		fr.Seq = uint32(lim)
	case FileProcs, FileThreads:
		// cgroup_procs_write_start parses under the lock; a parse error is
		// kept and returned once the lock is held (after the ENODEV check).
		v, err := Kstrtoint(strstrip(value))
		if err != OK || v < 0 {
			err = EINVAL
		}
		fr.Err = err
		fr.Seq = uint32(v)
	default:
		k.finish(t, -1, EINVAL) // read-only file
		return
	}
	if k.cgroupWriteRunnable(t) {
		k.stepCgroupWrite(t)
	}
}

// Mkdir is mkdir(2) of name under parent.
func (k *Kernel) Mkdir(t TaskID, parent CgroupID, name string) {
	k.begin(t, "cgroup_mkdir")
	tk := k.mtask(t)
	tk.Frame = Frame{Path: KCgroupWrite, PC: cgwLock, Arg: int32(fileMkdir), Cg: parent, Child: NoTask, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	if name == "" || strings.Contains(name, "/") || name == "." || name == ".." {
		k.finish(t, -1, EINVAL)
		return
	}
	if strings.Contains(name, "\n") {
		k.finish(t, -1, EINVAL)
		return
	}
	k.names = append(k.names[:len(k.names):len(k.names)], name)
	tk.Frame.Arg2 = int32(len(k.names) - 1)
	if k.cgroupWriteRunnable(t) {
		k.stepCgroupWrite(t)
	}
}

// Rmdir is rmdir(2) of c.
func (k *Kernel) Rmdir(t TaskID, c CgroupID) {
	k.begin(t, "cgroup_rmdir")
	k.mtask(t).Frame = Frame{Path: KCgroupWrite, PC: cgwLock, Arg: int32(fileRmdir), Cg: c, Child: NoTask, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	if k.cgroupWriteRunnable(t) {
		k.stepCgroupWrite(t)
	}
}

func parseSubtreeControl(value string) (en, dis Controller, err Errno) {
	for _, tok := range strings.Split(strstrip(value), " ") {
		if tok == "" {
			continue
		}
		var c Controller
		for i, n := range ctrlNames {
			if tok[1:] == n {
				c = 1 << i
			}
		}
		if c == 0 {
			return 0, 0, EINVAL
		}
		switch tok[0] {
		case '+':
			en, dis = en|c, dis&^c
		case '-':
			dis, en = dis|c, en&^c
		default:
			return 0, 0, EINVAL
		}
	}
	return en, dis, OK
}

func (k *Kernel) cgroupWriteRunnable(t TaskID) bool {
	f := &k.rtask(t).Frame
	switch f.PC {
	case cgwLock:
		return k.cgroupMutex == NoTask || k.cgroupMutex == t
	case cgwMigrate:
		// Before cgroup_attach_lock the writer can always step; once it
		// has blocked new readers it waits for the forks holding the
		// rwsem for reading (percpu_down_write → rcuwait).
		return k.tgWriter != t || k.tgReaders == 0
	}
	return true
}

func (k *Kernel) unlockFinish(t TaskID, ret int32, err Errno) {
	if k.cgroupMutex == t {
		k.cgroupMutex = NoTask
	}
	if k.tgWriter == t {
		k.tgWriter = NoTask
	}
	k.finish(t, ret, err)
}

func (k *Kernel) stepCgroupWrite(t TaskID) {
	tk := k.mtask(t)
	f := &tk.Frame
	file := CgroupFile(f.Arg)
	c := f.Cg
	switch f.PC {
	case cgwLock:
		k.cgroupMutex = t
		if file == fileMkdir {
			k.begin(t, "cgroup_mkdir")
			k.mkdirLocked(t)
			return
		}
		if file == fileRmdir {
			k.begin(t, "cgroup_rmdir")
			k.rmdirLocked(t)
			return
		}
		if !k.cgroups[c].Online {
			// cgroup_kn_lock_live failed.
			err := ENOENT
			if file == FileProcs || file == FileThreads || file == FileSubtreeControl {
				err = ENODEV
			}
			k.unlockFinish(t, -1, err)
			return
		}
		switch file {
		case FileKill:
			k.begin(t, "cgroup_kill_write")
			if k.cgroups[c].Threaded {
				k.unlockFinish(t, -1, EOPNOTSUPP)
				return
			}
			if k.Opts.Kill == KillAtomic {
				k.killAtomic(t, c)
				k.unlockFinish(t, f.Arg2, OK)
				return
			}
			f.Cur = c
			f.PC = killStart
			k.iters = append(k.iters, t)
			k.stepCgroupWrite(t)
		case FileProcs, FileThreads:
			// __cgroup_procs_write → cgroup_procs_write_start: the pid is
			// parsed and resolved under cgroup_mutex only (6.18; before,
			// after cgroup_attach_lock), then the threadgroup rwsem is
			// taken in a step of its own (cgwMigrate).
			k.begin(t, "cgroup_procs_write_start")
			if f.Err != OK {
				k.unlockFinish(t, -1, f.Err)
				return
			}
			v, err := k.procsWriteStart(t)
			if err != OK {
				k.unlockFinish(t, -1, err)
				return
			}
			f.Child = v
			if file == FileThreads && f.Seq == 0 {
				// CGRP_ATTACH_LOCK_NONE: a thread moving itself needs no
				// threadgroup stability (it cannot exit meanwhile).
				k.begin(t, "cgroup_attach_task")
				k.unlockFinish(t, f.Arg2, k.procsAttach(t))
				return
			}
			f.PC = cgwMigrate
		case FileFreeze:
			k.begin(t, "cgroup_freeze")
			k.cgroupFreeze(c, f.Seq == 1)
			k.unlockFinish(t, f.Arg2, OK)
		case FileType:
			k.begin(t, "cgroup_type_write")
			k.unlockFinish(t, f.Arg2, k.enableThreaded(c))
		case FileSubtreeControl:
			k.begin(t, "cgroup_subtree_control_write")
			k.unlockFinish(t, f.Arg2, k.subtreeControlWrite(c, Controller(f.Flags&0xffff), Controller(f.Flags>>16)))
		case FileMaxDescendants:
			k.mcgroup(c).MaxDescendants = int32(f.Seq)
			k.unlockFinish(t, f.Arg2, OK)
		case FileMaxDepth:
			k.mcgroup(c).MaxDepth = int32(f.Seq)
			k.unlockFinish(t, f.Arg2, OK)
		}
	case cgwMigrate:
		if k.tgWriter != t {
			// cgroup_attach_lock: cpus_read_lock, then percpu_down_write,
			// whose rcu_sync_enter sleeps for a grace period before new
			// readers are blocked: the task resolved in the previous step
			// may start exiting (or be reaped) in between, and forks may
			// pass cgroup_can_fork.
			k.begin(t, "cgroup_attach_lock")
			k.tgWriter = t
			if k.tgReaders > 0 {
				if k.tracing {
					k.notef("percpu_down_write: %d fork(s) hold cgroup_threadgroup_rwsem for reading; new readers wait", k.tgReaders)
				}
				return // Runnable is false until the readers are gone
			}
		}
		if file == FileProcs && !k.IsLeader(f.Child) {
			// "A race with de_thread from another thread's exec() may
			// strip us of our leadership. If this happens, throw this
			// task away and try again" (cgroup_procs_write_start):
			// unlock, resolve the pid anew, lock again.
			k.begin(t, "cgroup_procs_write_start")
			k.tgWriter = NoTask
			v, err := k.procsWriteStart(t)
			if k.tracing {
				k.notef("T%d is no longer the group leader (exec): retry_find_task", f.Child)
			}
			if err != OK {
				k.unlockFinish(t, -1, err)
				return
			}
			f.Child = v
			return
		}
		k.begin(t, "cgroup_attach_task")
		k.unlockFinish(t, f.Arg2, k.procsAttach(t))
	case killStart:
		k.begin(t, "__cgroup_kill")
		cg := k.mcgroup(f.Cur)
		if k.Opts.Kill == KillFlag {
			cg.KillFlag = true
			if k.tracing {
				k.notef("%s CGRP_KILL set", k.Path(f.Cur))
			}
		} else {
			cg.KillSeq++
			if k.tracing {
				k.notef("%s kill_seq %d", k.Path(f.Cur), cg.KillSeq)
			}
		}
		f.PC = killIterStart
	case killIterStart:
		k.begin(t, "css_task_iter_start")
		f.Cset, f.Dcset, f.Iter, f.iterList, f.iterSkipped = NoCset, NoCset, NoTask, onNoList, false
		k.iterAdvance(f, IterProcs|IterThreaded, true, true)
		f.PC = killIterate
	case killIterate:
		k.begin(t, "__cgroup_kill")
		// css_task_iter_next: finish a half-done advance (a skip), yield
		// the task at the position and advance at once, under
		// css_set_lock. The lock is dropped before send_sig: in between,
		// v may commit a fork and even run cgroup_post_fork.
		if f.iterSkipped {
			k.iterAdvance(f, IterProcs|IterThreaded, true, false)
		}
		if f.iterList == onNoList {
			f.PC = killClear
			k.stepCgroupWrite(t)
			return
		}
		v := f.Iter
		k.iterAdvance(f, IterProcs|IterThreaded, true, false)
		if k.tracing {
			k.notef("css_task_iter_next yields %s", k.Describe(v))
		}
		if k.Opts.KillSignalUnderCssSetLock {
			k.killOne(t, v)
			return
		}
		f.Child = v
		f.PC = killSignal
	case killSignal:
		k.begin(t, "__cgroup_kill")
		k.killOne(t, f.Child)
		f.Child = NoTask
		f.PC = killIterate
	case killClear:
		k.begin(t, "__cgroup_kill")
		if k.Opts.Kill == KillFlag {
			k.mcgroup(f.Cur).KillFlag = false
			if k.tracing {
				k.notef("%s CGRP_KILL cleared", k.Path(f.Cur))
			}
		}
		k.dropIter(t)
		next := k.nextPre(f.Cur, c)
		if next == NoCgroup {
			k.unlockFinish(t, f.Arg2, OK)
			return
		}
		f.Cur = next
		f.PC = killStart
		k.iters = append(k.iters, t)
		k.stepCgroupWrite(t)
	}
}

// IterFlags are the css_task_iter flags the model uses.
type IterFlags uint8

// css_task_iter flags (include/linux/cgroup.h).
const (
	// IterProcs is CSS_TASK_ITER_PROCS: only thread-group leaders, and a
	// leader on a dying list only while its group has live threads.
	IterProcs IterFlags = 1 << iota
	// IterThreaded is CSS_TASK_ITER_THREADED: after each domain css_set,
	// walk the css_sets on its threaded_csets (those of the threaded
	// descendants of a thread root).
	IterThreaded
	// IterMemcg is an iterator started on a memory css rather than on
	// the cgroup's self css (it->ss = memory_cgrp_subsys, as
	// mem_cgroup_scan_tasks starts it): it walks the memcg's e_csets,
	// the css_sets whose memory css is the cgroup's (its own and those of
	// its descendants without a memory css of their own, threaded ones
	// included), in the order they were created. Not combined with
	// IterThreaded.
	IterMemcg
)

// iterAdvanceCset is css_task_iter_advance_css_set() with
// css_task_iter_next_css_set(): move the iterator of f to the first task
// of the next css_set that has one (its tasks list, else its dying list;
// the model has no mg_tasks), or to the end. The css_set at cset_pos is
// f.Dcset (the last one taken from f.Cur's cset_links; NoCset before the
// first); with IterThreaded, tcset_pos is the head of Dcset's
// threaded_csets while the walk is in Dcset itself, else the current
// css_set. With pin, the walk holds its references as the kernel's does
// (cur_dcset and cur_cset); a side-effect-free walk passes false.
func (k *Kernel) iterAdvanceCset(f *Frame, fl IterFlags, pin bool) {
	pos := f.Dcset
	tcActive := fl&IterThreaded != 0 && pos != NoCset
	tc := NoCset
	if tcActive && f.Cset != pos {
		tc = f.Cset
	}
	for {
		cs := NoCset
		if tcActive {
			l := k.csets[pos].tcHead
			if tc != NoCset {
				l = k.csets[tc].tcNext
			}
			if l != NoCset {
				tc, cs = l, l
			} else {
				tcActive = false
			}
		}
		if cs == NoCset {
			var l CsetID
			if fl&IterMemcg != 0 {
				l = k.nextMemcgCset(f.Cur, pos)
			} else if l = k.cgroups[f.Cur].csetHead; pos != NoCset {
				l = k.csets[pos].linkNext
			}
			if l == NoCset {
				f.Iter, f.iterList = NoTask, onNoList
				return
			}
			if pin && fl&IterThreaded != 0 {
				k.getCset(l)
				if f.Dcset != NoCset {
					k.putCset(f.Dcset)
				}
			}
			pos, cs, f.Dcset = l, l, l
			tcActive, tc = fl&IterThreaded != 0, NoCset
		}
		x := k.rcset(cs)
		switch {
		case x.taskHead != NoTask:
			f.Iter, f.iterList = x.taskHead, onTasks
		case x.dyingHead != NoTask:
			f.Iter, f.iterList = x.dyingHead, onDying
		default:
			continue
		}
		if pin && cs != f.Cset {
			k.getCset(cs)
			if f.Cset != NoCset {
				k.putCset(f.Cset)
			}
		}
		f.Cset = cs
		return
	}
}

// iterAdvance is css_task_iter_advance(): step past the position (unless
// a skip already moved it: CSS_TASK_ITER_SKIPPED), from the end of the
// tasks list on to the dying list and from there to the next css_set;
// then on past every task the flags filter out. start is the call from
// css_task_iter_start, which begins at the first css_set.
func (k *Kernel) iterAdvance(f *Frame, fl IterFlags, pin, start bool) {
	for {
		if start {
			k.iterAdvanceCset(f, fl, pin)
			start = false
		} else {
			if f.iterSkipped {
				f.iterSkipped = false
			} else {
				f.Iter = k.tasks[f.Iter].cgNext
			}
			if f.iterList == onTasks && f.Iter == NoTask {
				f.Iter, f.iterList = k.csets[f.Cset].dyingHead, onDying
			}
			if f.iterList == onDying && f.Iter == NoTask {
				k.iterAdvanceCset(f, fl, pin)
			}
		}
		if f.iterList == onNoList {
			return
		}
		v := f.Iter
		if fl&IterProcs != 0 {
			if !k.IsLeader(v) {
				continue
			}
			if f.iterList == onDying && k.groups[k.tasks[v].Group].Live == 0 {
				continue
			}
		} else if f.iterList == onDying {
			continue
		}
		return
	}
}

// IterTasks lists what a css_task_iter over cgroup c with flags fl
// yields, in order, as one atomic walk (a cgroup.procs or cgroup.threads
// read: the model does not interleave a read's seq_file iteration).
func (k *Kernel) IterTasks(c CgroupID, fl IterFlags) []TaskID {
	return k.appendIterTasks(nil, c, fl)
}

// appendIterTasks is IterTasks appending to out.
func (k *Kernel) appendIterTasks(out []TaskID, c CgroupID, fl IterFlags) []TaskID {
	f := Frame{Cur: c, Cset: NoCset, Dcset: NoCset, Iter: NoTask}
	for k.iterAdvance(&f, fl, false, true); f.iterList != onNoList; k.iterAdvance(&f, fl, false, false) {
		out = append(out, f.Iter)
	}
	return out
}

// killOne is the body of __cgroup_kill's loop for one task.
func (k *Kernel) killOne(writer, v TaskID) {
	vk := k.rtask(v)
	if vk.Flags&PF_KTHREAD != 0 {
		if k.tracing {
			k.notef("skips kthread %s", k.Describe(v))
		}
		return
	}
	if k.FatalSignalPending(v) {
		k.Cover |= CovKillSkippedPending
		if k.tracing {
			k.notef("skips %s: SIGKILL already pending", k.Describe(v))
		}
		return
	}
	if vk.Frame.Path == KFork && vk.Frame.PC >= forkPost {
		k.Cover |= CovForkPassedSigcheckBeforeKill
	}
	if vk.Flags&PF_EXITING != 0 && k.groups[vk.Group].Live > 0 {
		k.Cover |= CovKillZombieLeader
	}
	k.sendSignal(SIGKILL, infoNoInfo, v, false, writer)
}

// killAtomic is the atomic variant: for every live cgroup of the subtree,
// kill_seq++ and SIGKILL every process, all in one step (gVisor holds its
// tree and task locks across the whole kill).
func (k *Kernel) killAtomic(t TaskID, root CgroupID) {
	// The walk lists each cgroup's processes before signalling them, into
	// a buffer on the stack for the common small cgroup: this runs once
	// per explored kill.
	var buf [16]TaskID
	for d := root; d != NoCgroup; d = k.nextPre(d, root) {
		k.mcgroup(d).KillSeq++
		for _, v := range k.appendIterTasks(buf[:0], d, IterProcs|IterThreaded) {
			k.killOne(t, v)
		}
	}
}

// dropIter is css_task_iter_end(): unregister t's iterator and drop the
// references it holds.
func (k *Kernel) dropIter(t TaskID) {
	f := &k.mtask(t).Frame
	if f.Cset != NoCset {
		k.putCset(f.Cset)
	}
	if f.Dcset != NoCset {
		k.putCset(f.Dcset)
	}
	f.Cset, f.Dcset = NoCset, NoCset
	for i, it := range k.iters {
		if it == t {
			k.iters = append(k.iters[:i:i], k.iters[i+1:]...)
			return
		}
	}
}

// cgroupFreeze is cgroup_freeze(): set the cgroup's own freeze value and,
// for every live descendant whose effective state flips, trap or release
// its tasks (cgroup_do_freeze).
func (k *Kernel) cgroupFreeze(c CgroupID, freeze bool) {
	if k.cgroups[c].Freeze == freeze {
		return
	}
	// Only descendants without a freezing ancestor (other than through c)
	// flip: compute each one's state before and after the change.
	var flips []CgroupID
	for d := c; d != NoCgroup; d = k.nextPre(d, c) {
		flips = append(flips, d)
	}
	before := make([]bool, len(flips))
	for i, d := range flips {
		before[i] = k.effectiveFreeze(d)
	}
	k.mcgroup(c).Freeze = freeze
	for i, d := range flips {
		now := k.effectiveFreeze(d)
		if now == before[i] {
			continue
		}
		for _, v := range k.Members(d) {
			vk := k.mtask(v)
			if vk.Flags&PF_KTHREAD != 0 {
				continue
			}
			vk.trapFreeze = now
		}
		if k.tracing {
			k.notef("%s freezing %v", k.Path(d), now)
		}
		k.cgroupUpdateFrozen(d)
	}
}

// enableThreaded is cgroup_enable_threaded().
func (k *Kernel) enableThreaded(c CgroupID) Errno {
	cg := k.mcgroup(c)
	if cg.Threaded {
		return OK
	}
	parent := cg.Parent
	dom := k.cgroups[parent].DomCgrp
	if k.Populated(c) || cg.SubtreeControl&^ThreadedControllers != 0 {
		return EOPNOTSUPP
	}
	if !k.IsValidDomain(dom) || !k.canBeThreadRoot(dom) {
		return EOPNOTSUPP
	}
	cg.Threaded = true
	// The cgroup and its threaded descendants join the parent's domain.
	for d := c; d != NoCgroup; d = k.nextPre(d, c) {
		if d == c || k.cgroups[d].Threaded {
			k.mcgroup(d).DomCgrp = dom
		}
	}
	k.mcgroup(parent).nrThreadedChildren++
	return OK
}

// cgroupControl is cgroup_control(): the controllers c's subtree_control
// may enable.
func (k *Kernel) cgroupControl(c CgroupID) Controller {
	p := k.cgroups[c].Parent
	if p == NoCgroup {
		return AllControllers
	}
	m := k.cgroups[p].SubtreeControl
	if k.cgroups[c].Threaded {
		m &= ThreadedControllers
	}
	return m
}

// subtreeControlWrite is cgroup_subtree_control_write() after parsing.
func (k *Kernel) subtreeControlWrite(c CgroupID, enable, disable Controller) Errno {
	cg := k.mcgroup(c)
	for i := range ctrlNames {
		bit := Controller(1 << i)
		if enable&bit != 0 {
			if cg.SubtreeControl&bit != 0 {
				enable &^= bit
				continue
			}
			if k.cgroupControl(c)&bit == 0 {
				return ENOENT
			}
		} else if disable&bit != 0 {
			if cg.SubtreeControl&bit == 0 {
				disable &^= bit
				continue
			}
			for _, ch := range k.Children(c) {
				if k.cgroups[ch].SubtreeControl&bit != 0 {
					return EBUSY
				}
			}
		}
	}
	if enable == 0 && disable == 0 {
		return OK
	}
	if err := k.vetSubtreeControlEnable(c, enable); err != OK {
		return err
	}
	cg.SubtreeControl = (cg.SubtreeControl | enable) &^ disable
	if disable&CtrlMemory != 0 {
		// The children's memory csses go (css_killed_work_fn); one made
		// when +memory comes back starts with oom_group 0.
		for _, ch := range k.allChildren(c) {
			k.mcgroup(ch).OomGroup = false
		}
	}
	if (enable|disable)&CtrlPids != 0 {
		// The children gain or lose their pids css; the tasks below are
		// migrated to the new csets and charged or uncharged there
		// (cgroup_apply_control → pids_can_attach / pids_cancel_attach).
		for _, ch := range k.allChildren(c) { // removed ones too: their zombies still uncharge
			k.mcgroup(ch).PidsCurrent = 0
			if enable&CtrlPids != 0 {
				k.mcgroup(ch).PidsCurrent = k.pidsRecount(ch)
			}
		}
	}
	return OK
}

// vetSubtreeControlEnable is cgroup_vet_subtree_control_enable().
func (k *Kernel) vetSubtreeControlEnable(c CgroupID, enable Controller) Errno {
	if enable == 0 {
		return OK
	}
	if !k.IsValidDomain(k.cgroups[c].DomCgrp) {
		return EOPNOTSUPP
	}
	if c == RootCG {
		return OK
	}
	if enable&^ThreadedControllers != 0 {
		if k.IsThreadRoot(c) || k.cgroups[c].Threaded {
			return EOPNOTSUPP
		}
	} else if k.canBeThreadRoot(c) || k.cgroups[c].Threaded {
		return OK
	}
	if k.cgroups[c].NrTasks > 0 {
		return EBUSY
	}
	return OK
}

// pidsRecount counts the pids charged to c's subtree: tasks not yet
// released, and forks between cgroup_can_fork and their commit or cancel.
func (k *Kernel) pidsRecount(c CgroupID) int32 {
	n := int32(0)
	for i := range k.tasks {
		tk := k.rtask(TaskID(i))
		if tk.Group != NoGroup && tk.Exit != ExitDead && tk.Cgroup != NoCgroup && (tk.Cgroup == c || k.isDescendant(tk.Cgroup, c)) {
			n++
		}
		if f := &tk.Frame; f.Path == KFork && (f.PC == forkCommit || f.PC == forkPost) && (f.Cg == c || k.isDescendant(f.Cg, c)) {
			n++
		}
	}
	return n
}

// migrateVetDst is cgroup_migrate_vet_dst().
func (k *Kernel) migrateVetDst(dst CgroupID) Errno {
	if !k.IsValidDomain(k.cgroups[dst].DomCgrp) {
		return EOPNOTSUPP
	}
	if dst == RootCG {
		return OK
	}
	if k.canBeThreadRoot(dst) || k.cgroups[dst].Threaded {
		return OK
	}
	if k.cgroups[dst].SubtreeControl != 0 {
		return EBUSY
	}
	return OK
}

// procsWriteStart is the lookup of cgroup_procs_write_start() (6.18), under
// cgroup_mutex and RCU only: the pid in the writer's namespace (0: the
// writer itself; ESRCH if none), its group leader for cgroup.procs, and
// EINVAL for a kthread with PF_NO_SETAFFINITY. (In 6.18, once the rwsem
// is held, a cgroup.procs write whose task is no longer the leader — a
// de_thread from another thread's exec — retries the lookup; the model has
// no exec, so the retry never happens.)
func (k *Kernel) procsWriteStart(t TaskID) (TaskID, Errno) {
	f := &k.rtask(t).Frame
	pid := int32(f.Seq)
	v := t
	if pid != 0 {
		v = k.FindTask(k.tasks[t].NS, pid)
		if v == NoTask {
			return NoTask, ESRCH
		}
	}
	if CgroupFile(f.Arg) == FileProcs {
		v = k.groups[k.tasks[v].Group].Leader
	}
	if k.tasks[v].Flags&PF_NO_SETAFFINITY != 0 {
		return NoTask, EINVAL
	}
	return v, OK
}

// procsAttach is the rest of __cgroup_procs_write() for the task
// procsWriteStart resolved (Frame.Child), under cgroup_mutex and (unless
// a thread moves itself) the threadgroup rwsem: the permission checks and
// cgroup_attach_task. The task may have started exiting, or been released,
// since it was resolved: its exiting threads are skipped (migrateTask) and
// the write still succeeds.
func (k *Kernel) procsAttach(t TaskID) Errno {
	f := &k.rtask(t).Frame
	dst := f.Cg
	threadgroup := CgroupFile(f.Arg) == FileProcs
	v := f.Child
	vk := k.rtask(v)
	// cgroup_attach_permissions: cgroup_migrate_vet_dst, then the
	// same-threaded-domain rule for single threads.
	src := vk.Cgroup
	if err := k.migrateVetDst(dst); err != OK {
		return err
	}
	if !threadgroup && k.cgroups[src].DomCgrp != k.cgroups[dst].DomCgrp {
		return EOPNOTSUPP
	}
	move := []TaskID{v}
	if threadgroup {
		move = move[:0]
		g := k.rgroup(vk.Group)
		for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			move = append(move, th)
		}
	}
	for _, m := range move {
		k.migrateTask(m, dst)
	}
	return OK
}

// migrateTask moves one task (cgroup_migrate_add_task skips PF_EXITING
// tasks and tasks on no list), with pids charge transfer and the freezer
// state of the destination (cgroup_freezer_migrate_task).
func (k *Kernel) migrateTask(v TaskID, dst CgroupID) {
	vk := k.mtask(v)
	if vk.Flags&PF_EXITING != 0 || vk.cgList != onTasks || vk.Cgroup == dst {
		return
	}
	src := vk.Cgroup
	k.pidsCharge(dst)
	k.pidsUncharge(src)
	k.cgMove(v, k.csets[vk.Cset].V1, dst)
	vk = k.mtask(v)
	if vk.Flags&PF_KTHREAD == 0 {
		fz := k.effectiveFreeze(dst)
		vk.trapFreeze = fz
		if !fz && vk.Frozen {
			vk.Frozen = false
		}
		k.cgroupUpdateFrozen(src)
		k.cgroupUpdateFrozen(dst)
	}
	if k.tracing {
		k.notef("%s moved %s → %s", k.Describe(v), k.Path(src), k.Path(dst))
	}
}

// mkdirLocked is cgroup_mkdir() under cgroup_mutex.
func (k *Kernel) mkdirLocked(t TaskID) {
	f := &k.rtask(t).Frame
	parent := f.Cg
	name := k.names[f.Arg2]
	if parent < 0 || int(parent) >= len(k.cgroups) || !k.cgroups[parent].Online {
		k.unlockFinish(t, -1, ENODEV)
		return
	}
	if k.child(parent, name) != NoCgroup {
		k.unlockFinish(t, -1, EEXIST)
		return
	}
	// cgroup_check_hierarchy_limits()
	depth := int32(1)
	for a := parent; a != NoCgroup; a = k.cgroups[a].Parent {
		ac := k.rcgroup(a)
		if ac.MaxDescendants >= 0 && ac.NrDescendants >= ac.MaxDescendants {
			k.unlockFinish(t, -1, EAGAIN)
			return
		}
		if ac.MaxDepth >= 0 && depth > ac.MaxDepth {
			k.unlockFinish(t, -1, EAGAIN)
			return
		}
		depth++
	}
	id := CgroupID(len(k.cgroups))
	pc := k.mcgroup(parent)
	k.cgroups = append(k.cgroups, Cgroup{
		Name: name, Parent: parent, Level: pc.Level + 1, Online: true, DomCgrp: id,
		childHead: NoCgroup, childTail: NoCgroup, sibNext: NoCgroup, sibPrev: k.cgroups[parent].childTail,
		csetHead: NoCset, csetTail: NoCset,
		PidsMax: -1, MaxDescendants: -1, MaxDepth: -1,
	})
	pc = k.mcgroup(parent)
	if pc.childTail != NoCgroup {
		k.mcgroup(pc.childTail).sibNext = id
	} else {
		pc.childHead = id
	}
	pc.childTail = id
	for a := parent; a != NoCgroup; a = k.cgroups[a].Parent {
		k.mcgroup(a).NrDescendants++
	}
	if k.effectiveFreeze(id) {
		k.mcgroup(id).frozenSeen = true // an empty cgroup under a frozen parent is frozen at once
	}
	if k.tracing {
		k.notef("created %s", k.Path(id))
	}
	k.unlockFinish(t, int32(id), OK)
}

// rmdirLocked is cgroup_rmdir() → cgroup_destroy_locked().
func (k *Kernel) rmdirLocked(t TaskID) {
	c := k.tasks[t].Frame.Cg
	if c == RootCG {
		k.unlockFinish(t, -1, EBUSY)
		return
	}
	if c < 0 || int(c) >= len(k.cgroups) || !k.cgroups[c].Online {
		k.unlockFinish(t, -1, ENOENT)
		return
	}
	if k.Populated(c) || k.firstLiveChild(c) != NoCgroup {
		k.unlockFinish(t, -1, EBUSY)
		return
	}
	cg := k.mcgroup(c)
	cg.Online = false
	if cg.Threaded {
		k.mcgroup(cg.Parent).nrThreadedChildren--
	}
	for a := cg.Parent; a != NoCgroup; a = k.cgroups[a].Parent {
		k.mcgroup(a).NrDescendants--
	}
	if k.tracing {
		k.notef("removed %s", k.Path(c))
	}
	k.unlockFinish(t, 0, OK)
}

// ReadFile is read(2) of a whole cgroup file by t, as one step (the
// seq_file iteration is not interleaved). pids are printed as seen from
// t's pid namespace (task_pid_vnr: 0 when invisible).
func (k *Kernel) ReadFile(t TaskID, c CgroupID, f CgroupFile) (string, Errno) {
	k.begin(t, "cgroup_seqfile_show")
	out, err := k.readFile(t, c, f)
	if k.tracing {
		k.notef("read %s/%s", strings.TrimSuffix(k.Path(c), "/"), f)
	}
	k.finish(t, int32(len(out)), err)
	return out, err
}

func (k *Kernel) readFile(t TaskID, c CgroupID, f CgroupFile) (string, Errno) {
	if c < 0 || int(c) >= len(k.cgroups) || !k.fileExists(c, f) {
		return "", ENOENT
	}
	if !k.cgroups[c].Online {
		return "", ENODEV // kernfs node deactivated by rmdir (probe Q1)
	}
	cg := k.rcgroup(c)
	ns := RootNS
	if t != NoTask {
		ns = k.tasks[t].NS
	}
	var b strings.Builder
	switch f {
	case FileProcs:
		if cg.Threaded {
			return "", EOPNOTSUPP
		}
		for _, v := range k.ProcsOf(c) {
			fmt.Fprintf(&b, "%d\n", k.PidIn(v, ns))
		}
	case FileThreads:
		// cgroup_threads_start: css_task_iter_start(&cgrp->self, 0): every
		// task of c's own css_sets, none of the dying.
		for _, v := range k.IterTasks(c, 0) {
			fmt.Fprintf(&b, "%d\n", k.PidIn(v, ns))
		}
	case FileEvents:
		fmt.Fprintf(&b, "populated %d\nfrozen %d\n", b2i(k.Populated(c)), b2i(k.Frozen(c)))
	case FileType:
		b.WriteString(k.Type(c) + "\n")
	case FileFreeze:
		fmt.Fprintf(&b, "%d\n", b2i(cg.Freeze))
	case FileSubtreeControl:
		b.WriteString(ctrlString(cg.SubtreeControl) + "\n")
	case FileControllers:
		b.WriteString(ctrlString(k.cgroupControl(c)) + "\n")
	case FilePidsMax:
		b.WriteString(limitString(cg.PidsMax) + "\n")
	case FilePidsCurrent:
		fmt.Fprintf(&b, "%d\n", cg.PidsCurrent)
	case FilePidsEvents:
		fmt.Fprintf(&b, "max %d\n", cg.PidsEventsMax)
	case FileMaxDescendants:
		b.WriteString(limitString(cg.MaxDescendants) + "\n")
	case FileMaxDepth:
		b.WriteString(limitString(cg.MaxDepth) + "\n")
	case FileStat:
		dying := 0
		for i := range k.cgroups {
			if !k.cgroups[i].Online && k.isDescendant(CgroupID(i), c) {
				dying++
			}
		}
		fmt.Fprintf(&b, "nr_descendants %d\nnr_dying_descendants %d\n", cg.NrDescendants, dying)
	case FileMemoryOomGroup:
		fmt.Fprintf(&b, "%d\n", b2i(cg.OomGroup)) // memory_oom_group_show
	case FileKill:
		return "", EINVAL
	}
	return b.String(), OK
}

// ProcsOf lists what cgroup.procs iterates (cgroup_procs_start:
// CSS_TASK_ITER_PROCS | CSS_TASK_ITER_THREADED), in the order it does:
// css_set by css_set along c's cset_links, each domain css_set followed
// by its threaded css_sets (the css_sets of c's threaded descendants), and
// in each the leaders on the tasks list, then those on the dying list
// whose group still has live threads.
func (k *Kernel) ProcsOf(c CgroupID) []TaskID {
	return k.IterTasks(c, IterProcs|IterThreaded)
}

// InSubtree reports whether cgroup c is root or one of its descendants
// (false for NoCgroup).
func (k *Kernel) InSubtree(c, root CgroupID) bool {
	return c != NoCgroup && (c == root || k.isDescendant(c, root))
}

func (k *Kernel) isDescendant(d, c CgroupID) bool {
	for d = k.cgroups[d].Parent; d != NoCgroup; d = k.cgroups[d].Parent {
		if d == c {
			return true
		}
	}
	return false
}

func ctrlString(m Controller) string {
	var parts []string
	for i, n := range ctrlNames {
		if m&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, " ")
}

func limitString(v int32) string {
	if v < 0 {
		return "max"
	}
	return itoa(int(v))
}
