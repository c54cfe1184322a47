package scenarios

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v4"

	"cgsim/model"
	"cgsim/sim"
)

// Built-in programs a task may name instead of listing actions.
var builtinPrograms = []string{"pause", "ignore-sigchld", "reaper", "fork-bomb", "exit"}

// Actions of a program.
var actionNames = []string{"pause", "exit", "exit-thread", "fork", "write", "read", "mkdir", "rmdir",
	"kill", "wait", "reap", "unshare-pidns", "setns", "subreaper", "sigaction", "spin", "await",
	"repeat", "forever", "exec", "setpgid", "setsid", "oom", "getpid", "getppid", "getpgid", "getsid",
	"pidfd-open", "pidfd-send-signal", "waitid", "get-subreaper", "pidfd-info", "sigprocmask", "pidfd-fdinfo", "pid_max"}

// Keys of the actions that take a mapping.
var (
	forkKeys      = []string{"label", "expect", "into", "flags", "child", "as", "pidfd", "set_tid", "exit_signal"}
	execKeys      = []string{"program", "label", "expect"}
	oomKeys       = []string{"cgroup", "victim", "label", "expect"}
	writeKeys     = []string{"file", "value", "pid", "label", "expect"}
	readKeys      = []string{"file", "label", "expect", "data"}
	dirKeys       = []string{"path", "label", "expect"}
	killKeys      = []string{"task", "pid", "pgrp", "signal", "label", "expect"}
	setpgidKeys   = []string{"pid", "pgid", "label", "expect"}
	waitKeys      = []string{"pid", "flags", "status", "ret", "label", "expect"}
	sigactionKeys = []string{"signal", "action"}
	awaitKeys     = []string{"unpopulated", "populated", "frozen", "exited", "zombie", "procs", "fork-past-can-fork", "pidfd", "stopped"}
	procsKeys     = []string{"cgroup", "count"}
	repeatKeys    = []string{"times", "do"}
)

// compiler turns a program (a built-in name or a list of actions) into
// sim instructions. Jumps are absolute; a counted loop keeps its counter
// in user register R0, which the program has only one of, so counted
// loops (repeat, spin N) do not nest.
type compiler struct {
	b       *builder
	code    []sim.Instr
	counted bool
	// forks is set once the program has a fork; lastChild is the first
	// `pid: child`, which a program without a fork cannot mean.
	forks     bool
	lastChild *yaml.Node
	// regs are the program's named registers; lastReg the one the last
	// pid parsed named (see takeReg).
	regs    map[string]reg
	lastReg int8
}

func (c *compiler) pc() int32 { return int32(len(c.code)) }

func (c *compiler) emit(in sim.Instr) int32 {
	c.code = append(c.code, in)
	return int32(len(c.code) - 1)
}

func (c *compiler) program(n *yaml.Node) {
	d := c.b.d
	if n.Kind == yaml.ScalarNode {
		name := d.str(n, "program")
		switch name {
		case "pause":
			c.code = sim.PauseForever()
		case "ignore-sigchld":
			c.code = sim.IgnoreSIGCHLDThenPause()
		case "reaper":
			c.code = sim.ReapForever()
		case "fork-bomb":
			c.code = sim.ForkBomb("")
		case "exit":
			c.code = sim.ExitWith(0)
		default:
			d.failf(n, "program: unknown built-in %q (want one of %v, or a list of actions)", name, builtinPrograms)
		}
		return
	}
	c.actions(n, "program")
	c.emit(sim.Instr{Op: sim.OpExitGroup}) // falling off the end is exit(0)
	if c.lastChild != nil && !c.forks {
		// Tasks start with no last child; only a fork of this program
		// (in the task or a forked ancestor running it) can set one.
		c.b.d.failf(c.lastChild, "pid: child is the pid the caller's last fork returned, and this program has no fork")
	}
}

func (c *compiler) actions(n *yaml.Node, what string) {
	items := c.b.d.list(n, what)
	if n != nil && n.Kind == yaml.SequenceNode && len(items) == 0 {
		c.b.d.failf(n, "%s: empty list of actions", what)
	}
	for _, a := range items {
		c.action(a)
	}
}

func (c *compiler) action(n *yaml.Node) {
	b, d := c.b, c.b.d
	name, arg := d.single(n, "action", actionNames)
	if d.err != nil {
		return
	}
	needArg := func() bool {
		if arg == nil {
			d.failf(n, "%s: want arguments (%s: ...)", name, name)
			return false
		}
		return true
	}
	switch name {
	case "pause":
		pc := c.emit(sim.Instr{Op: sim.OpPause})
		if arg != nil {
			// pause: once: one pause(2), which returns (EINTR) after a
			// handler ran, as a C program's single pause() does.
			if s, _ := d.scalar(arg, "pause"); s != "once" {
				d.failf(arg, "pause: want once (a single pause(2)) or nothing (for (;;) pause();), got %q", s)
			}
			return
		}
		c.emit(sim.Instr{Op: sim.OpJump, A: pc})
	case "exit", "exit-thread":
		code := int64(0)
		if arg != nil {
			code = d.int(arg, name, 0, 255)
		}
		op := sim.OpExitGroup
		if name == "exit-thread" {
			op = sim.OpExit
		}
		c.emit(sim.Instr{Op: op, A: int32(code)})
	case "fork":
		c.fork(n, arg)
	case "exec":
		if !needArg() {
			return
		}
		c.exec(n, arg)
	case "oom":
		if !needArg() {
			return
		}
		c.oom(n, arg)
	case "write":
		if !needArg() {
			return
		}
		f := d.fields(arg, "write", writeKeys)
		if f["file"] == nil || (f["value"] == nil) == (f["pid"] == nil) {
			d.failf(arg, "write: want file and one of value and pid")
			return
		}
		dir, file := d.cgroupFile(f["file"], "file")
		if v := f["pid"]; v != nil {
			// The pid in a register, as dprintf(fd, "%d", pid) writes it.
			name := d.checkName(v, "pid")
			r := c.useReg(v, name, regPid, false)
			label := b.expectCall(n, f["label"], f["expect"], nil, fmt.Sprintf("write pid %s to %s", name, d.str(f["file"], "file")))
			c.emit(sim.Instr{Op: sim.OpWrite, Path: dir, File: file, Reg: r, Label: label})
			return
		}
		val := d.str(f["value"], "value")
		label := b.expectCall(n, f["label"], f["expect"], nil, fmt.Sprintf("write %q to %s", val, d.str(f["file"], "file")))
		c.emit(sim.Instr{Op: sim.OpWrite, Path: dir, File: file, Str: val, Label: label})
	case "read":
		if !needArg() {
			return
		}
		f := d.fields(arg, "read", readKeys)
		if f["file"] == nil {
			d.failf(arg, "read: want file")
			return
		}
		dir, file := d.cgroupFile(f["file"], "file")
		label := b.expectCall(n, f["label"], f["expect"], f["data"], "read of "+d.str(f["file"], "file"))
		if label == "" {
			b.auto++
			label = fmt.Sprintf("line%d.%d", n.Line, b.auto)
		}
		c.emit(sim.Instr{Op: sim.OpRead, Path: dir, File: file, Label: label})
	case "mkdir", "rmdir":
		if !needArg() {
			return
		}
		var p string
		var label string
		if arg.Kind == yaml.ScalarNode {
			p = d.cgroupPath(arg, name)
		} else {
			f := d.fields(arg, name, dirKeys)
			if f["path"] == nil {
				d.failf(arg, "%s: want path", name)
				return
			}
			p = d.cgroupPath(f["path"], "path")
			label = b.expectCall(n, f["label"], f["expect"], nil, name+" "+p)
		}
		if p == "/" {
			d.failf(arg, "%s: not the root cgroup", name)
			return
		}
		op := sim.OpMkdir
		if name == "rmdir" {
			op = sim.OpRmdir
		}
		c.emit(sim.Instr{Op: op, Path: p, Label: label})
	case "kill":
		c.kill(n, arg)
	case "wait":
		in := sim.Instr{Op: sim.OpWait, A: -1, B: int32(model.WALL)}
		if arg != nil {
			f := d.fields(arg, "wait", waitKeys)
			if v := f["pid"]; v != nil {
				in.A = c.pid(v, -1)
				in.Reg = c.takeReg()
			}
			if v := f["flags"]; v != nil {
				in.B = 0
				for _, fl := range d.listOrOne(v, "flags") {
					switch s := d.str(fl, "flags"); s {
					case "WNOHANG":
						in.B |= int32(model.WNOHANG)
					case "__WALL":
						in.B |= int32(model.WALL)
					case "WUNTRACED", "WSTOPPED":
						in.B |= int32(model.WSTOPPED)
					case "WCONTINUED":
						in.B |= int32(model.WCONTINUED)
					default:
						d.failf(fl, "flags: want WNOHANG, __WALL, WUNTRACED or WCONTINUED, got %q", s)
					}
				}
			}
			if v := f["ret"]; v != nil {
				c.retCheck(v, &in)
			}
			status := ""
			if v := f["status"]; v != nil {
				status = c.statusCheck(v, false)
			}
			in.Label = c.checked(n, f, &in, status, "wait4")
		}
		c.emit(in)
	case "waitid":
		c.waitid(n, arg)
	case "getpid":
		c.idCall(n, arg, sim.OpGetpid, name)
	case "getppid":
		c.idCall(n, arg, sim.OpGetppid, name)
	case "getpgid":
		c.idCall(n, arg, sim.OpGetpgid, name)
	case "getsid":
		c.idCall(n, arg, sim.OpGetsid, name)
	case "get-subreaper":
		c.idCall(n, arg, sim.OpGetSubreaper, name)
	case "pid_max":
		// pid_max: N or {value: N, label, expect}: a write of N to
		// /proc/sys/kernel/pid_max, the caller's pid namespace's (6.14+).
		if !needArg() {
			return
		}
		in := sim.Instr{Op: sim.OpSetPidMax, Target: model.NoTask}
		v := arg
		if arg.Kind == yaml.MappingNode {
			f := d.fields(arg, "pid_max", []string{"value", "label", "expect"})
			if f["value"] == nil {
				d.failf(arg, "pid_max: want value")
				return
			}
			v = f["value"]
			in.Label = b.expectCall(n, f["label"], f["expect"], nil, "write of pid_max")
		}
		in.A = int32(d.int(v, "pid_max", 0, 1<<22))
		c.emit(in)
	case "pidfd-fdinfo":
		if !needArg() {
			return
		}
		c.pidfdFdinfo(n, arg)
	case "sigprocmask":
		if !needArg() {
			return
		}
		c.sigprocmask(n, arg)
	case "pidfd-info":
		if !needArg() {
			return
		}
		c.pidfdInfo(n, arg)
	case "pidfd-open":
		if !needArg() {
			return
		}
		c.pidfdOpen(n, arg)
	case "pidfd-send-signal":
		if !needArg() {
			return
		}
		c.pidfdSend(n, arg)
	case "reap":
		// while (wait4(-1, NULL, __WALL, NULL) != -1 || errno != ECHILD);
		top := c.emit(sim.Instr{Op: sim.OpWait, A: -1, B: int32(model.WALL)})
		c.emit(sim.Instr{Op: sim.OpJumpIfErr, A: int32(model.ECHILD), B: top + 3})
		c.emit(sim.Instr{Op: sim.OpJump, A: top})
	case "unshare-pidns":
		c.emit(sim.Instr{Op: sim.OpUnshare})
	case "setns":
		if !needArg() {
			return
		}
		if arg.Kind == yaml.MappingNode {
			// setns: {pid_for_children: NAME, label, expect}: the
			// namespace NAME's children would be born in, looked up when
			// the call is made (after an unshare of NAME's, say).
			f := d.fields(arg, "setns", []string{"pid_for_children", "label", "expect"})
			if f["pid_for_children"] == nil {
				d.failf(arg, "setns: want pid_for_children (a task's name)")
				return
			}
			in := sim.Instr{Op: sim.OpSetns, A: -1, Target: b.task(f["pid_for_children"], "pid_for_children")}
			in.Label = b.expectCall(n, f["label"], f["expect"], nil, "setns")
			c.emit(in)
			return
		}
		t := b.task(arg, "setns")
		if d.err == nil {
			c.emit(sim.Instr{Op: sim.OpSetns, A: int32(b.w.K.Task(t).NS)})
		}
	case "subreaper":
		c.emit(sim.Instr{Op: sim.OpSubreaper})
	case "setsid":
		in := sim.Instr{Op: sim.OpSetsid}
		if arg != nil {
			f := d.fields(arg, "setsid", []string{"label", "expect"})
			in.Label = b.expectCall(n, f["label"], f["expect"], nil, "setsid")
		}
		c.emit(in)
	case "setpgid":
		c.setpgid(n, arg)
	case "sigaction":
		if !needArg() {
			return
		}
		f := d.fields(arg, "sigaction", sigactionKeys)
		if f["signal"] == nil || f["action"] == nil {
			d.failf(arg, "sigaction: want signal and action")
			return
		}
		sig := d.signal(f["signal"], "signal")
		var disp model.Disposition
		switch a := d.str(f["action"], "action"); a {
		case "default":
			disp = model.SigDefault
		case "ignore":
			disp = model.SigIgnore
		case "handler":
			disp = model.HandlerReturn
		case "handler-exit":
			disp = model.HandlerExit
		default:
			d.failf(f["action"], "action: want default, ignore, handler (returns) or handler-exit (calls exit_group), got %q", a)
		}
		if sig == model.SIGKILL || sig == model.SIGSTOP {
			d.failf(f["signal"], "sigaction: %s cannot be caught or ignored (the kernel returns EINVAL)", sig)
		}
		c.emit(sim.Instr{Op: sim.OpSigaction, A: int32(sig), B: int32(disp)})
	case "spin":
		times := int64(1)
		if arg != nil {
			times = d.int(arg, "spin", 1, 1<<20)
		}
		if times == 1 {
			c.emit(sim.Instr{Op: sim.OpSpin})
			return
		}
		c.counted_(n, int32(times), func() { c.emit(sim.Instr{Op: sim.OpSpin}) })
	case "await":
		c.await(n, arg)
	case "repeat":
		if !needArg() {
			return
		}
		f := d.fields(arg, "repeat", repeatKeys)
		if f["times"] == nil || f["do"] == nil {
			d.failf(arg, "repeat: want times and do")
			return
		}
		times := d.int(f["times"], "times", 1, 1<<20)
		c.counted_(n, int32(times), func() { c.actions(f["do"], "do") })
	case "forever":
		if !needArg() {
			return
		}
		top := c.pc()
		c.actions(arg, "forever")
		c.emit(sim.Instr{Op: sim.OpJump, A: top})
	}
}

// counted_ emits `for (R0 = 0; R0 < times; R0++) body`.
func (c *compiler) counted_(n *yaml.Node, times int32, body func()) {
	if c.counted {
		c.b.d.failf(n, "counted loops (repeat, spin N) cannot nest: a program has one loop counter")
		return
	}
	c.counted = true
	c.emit(sim.Instr{Op: sim.OpSet, A: 0})
	loop := c.emit(sim.Instr{Op: sim.OpLoop, A: times})
	jump := c.emit(sim.Instr{Op: sim.OpJump})
	c.code[loop].B = c.pc()
	body()
	c.emit(sim.Instr{Op: sim.OpJump, A: loop})
	c.code[jump].A = c.pc()
	c.counted = false
}

func (c *compiler) fork(n, arg *yaml.Node) {
	b, d := c.b, c.b.d
	c.forks = true
	in := sim.Instr{Op: sim.OpFork}
	var child *yaml.Node
	if arg != nil {
		f := d.fields(arg, "fork", forkKeys)
		for _, fl := range d.listOrOne(f["flags"], "flags") {
			switch s := d.str(fl, "flags"); s {
			case "CLONE_NEWPID":
				in.A |= int32(model.CLONE_NEWPID)
			case "CLONE_THREAD":
				in.A |= int32(model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM)
			case "CLONE_PARENT":
				in.A |= int32(model.CLONE_PARENT)
			case "CLONE_CLEAR_SIGHAND":
				in.A |= int32(model.CLONE_CLEAR_SIGHAND)
			case "CLONE_SIGHAND":
				// Without CLONE_VM (or with CLONE_CLEAR_SIGHAND)
				// copy_process refuses it with EINVAL.
				in.A |= int32(model.CLONE_SIGHAND)
			case "CLONE_VFORK":
				// vfork(2) is CLONE_VM|CLONE_VFORK; the model has no
				// memory, so only the wait is modelled.
				in.A |= int32(model.CLONE_VFORK)
			default:
				d.failf(fl, "flags: want CLONE_NEWPID, CLONE_THREAD (with CLONE_SIGHAND|CLONE_VM), CLONE_PARENT, CLONE_VFORK, CLONE_CLEAR_SIGHAND or CLONE_SIGHAND, got %q", s)
			}
		}
		if v := f["into"]; v != nil {
			in.Path = d.cgroupPath(v, "into")
			in.A |= int32(model.CLONE_INTO_CGROUP)
		}
		in.Label = b.expectCall(n, f["label"], f["expect"], nil, "clone")
		child = f["child"]
		if v := f["as"]; v != nil {
			in.Out = c.declReg(v, regPid)
		}
		if v := f["pidfd"]; v != nil {
			// CLONE_PIDFD: clone3 stores a pidfd of the child in
			// clone_args.pidfd (copy_process → pidfd_prepare).
			in.PidfdOut = c.declReg(v, regPidfd)
		}
		if v := f["set_tid"]; v != nil {
			c.setTid(v, &in)
		}
		if v := f["exit_signal"]; v != nil {
			// clone3's exit_signal: a signal name, 0, or a raw 64-bit
			// value (decimal or 0x...), which the kernel validates.
			s, _ := d.scalar(v, "exit_signal")
			in.HasExitSignal = true
			if sig, ok := model.ParseSignal(s); ok && s != "0" {
				in.ExitSignal = uint64(sig)
			} else if u, err := strconv.ParseUint(s, 0, 64); err == nil {
				in.ExitSignal = u
			} else {
				d.failf(v, "exit_signal: want a signal name, 0 or a number, got %q", s)
			}
		}
	}
	if child == nil {
		// The child returns from fork() where the parent does.
		pc := c.emit(in)
		c.code[pc].B = pc + 1
		return
	}
	pc := c.emit(in)
	jump := c.emit(sim.Instr{Op: sim.OpJump})
	c.code[pc].B = c.pc()
	saved := c.counted
	c.counted = false // the child's R0 is its own copy, but its loops start fresh
	c.actions(child, "child")
	c.counted = saved
	if in.A&int32(model.CLONE_THREAD) != 0 {
		c.emit(sim.Instr{Op: sim.OpExit}) // a thread's block ends with exit(2) of the thread
	} else {
		c.emit(sim.Instr{Op: sim.OpExitGroup}) // a process's block ends with exit(0)
	}
	c.code[jump].A = c.pc()
}

// exec compiles `exec: PROGRAM` or `exec: {program: PROGRAM, label, expect}`:
// execve(2) of a new program (a built-in name or a list of actions), which
// the world holds as a program of its own. A successful exec does not
// return (the new program starts); a label logs a failure (EAGAIN when
// another exec or a group exit is in progress, or when the caller is
// killed in de_thread).
func (c *compiler) exec(n, arg *yaml.Node) {
	b, d := c.b, c.b.d
	prog, label := arg, ""
	if arg.Kind == yaml.MappingNode {
		f := d.fields(arg, "exec", execKeys)
		if f["program"] == nil {
			d.failf(arg, "exec: want program (a built-in name or a list of actions)")
			return
		}
		prog = f["program"]
		label = b.expectCall(n, f["label"], f["expect"], nil, "execve")
	}
	img := &compiler{b: b}
	img.program(prog)
	if d.err != nil {
		return
	}
	id := b.w.AddProgram(fmt.Sprintf("exec@%d:%d", n.Line, n.Column), img.code)
	c.emit(sim.Instr{Op: sim.OpExec, A: id, Label: label})
}

// setpgid compiles `setpgid` (setpgid(0, 0): a new process group led by
// the caller) or `setpgid: {pid: 0|child, pgid: 0|child|TASK, label,
// expect}`: pgid 0 is pid; a task name joins the process group whose id
// is that task's pid.
func (c *compiler) setpgid(n, arg *yaml.Node) {
	b, d := c.b, c.b.d
	in := sim.Instr{Op: sim.OpSetpgid, Target: model.NoTask}
	if arg != nil {
		f := d.fields(arg, "setpgid", setpgidKeys)
		if v := f["pid"]; v != nil {
			in.A = c.pid(v, 0)
			in.Reg = c.takeReg()
		}
		if v := f["pgid"]; v != nil {
			if s, _ := d.scalar(v, "pgid"); s == "child" || s == "0" {
				in.B = c.pid(v, 0)
			} else {
				in.Target = b.task(v, "pgid")
			}
		}
		in.Label = b.expectCall(n, f["label"], f["expect"], nil, "setpgid")
	}
	c.emit(in)
}

// oom compiles `oom: /cg` or `oom: {cgroup, victim, label, expect}`: the
// task's allocation runs out of memory in the memory cgroup cg (`/` for a
// global OOM), and the OOM killer runs in the task (model.Kernel.OOM).
// victim names the task whose process holds the memory, the one
// oom_badness ranks first; without it every candidate weighs the same
// and the first of the walk is chosen.
func (c *compiler) oom(n, arg *yaml.Node) {
	b, d := c.b, c.b.d
	in := sim.Instr{Op: sim.OpOOM, Target: model.NoTask}
	if arg.Kind == yaml.ScalarNode {
		in.Path = d.cgroupPath(arg, "oom")
		c.emit(in)
		return
	}
	f := d.fields(arg, "oom", oomKeys)
	if f["cgroup"] == nil {
		d.failf(arg, "oom: want cgroup (the memory cgroup whose limit the allocation hits, / for a global OOM)")
		return
	}
	in.Path = d.cgroupPath(f["cgroup"], "cgroup")
	if v := f["victim"]; v != nil {
		in.Target = b.task(v, "victim")
	}
	in.Label = b.expectCall(n, f["label"], f["expect"], nil, "OOM in "+in.Path)
	c.emit(in)
}

func (c *compiler) kill(n, arg *yaml.Node) {
	b, d := c.b, c.b.d
	if arg == nil {
		d.failf(n, "kill: want a task name or {task|pid, signal}")
		return
	}
	in := sim.Instr{Op: sim.OpKill, Target: model.NoTask, B: int32(model.SIGKILL)}
	if arg.Kind == yaml.ScalarNode {
		in.Target = b.task(arg, "kill")
		c.emit(in)
		return
	}
	f := d.fields(arg, "kill", killKeys)
	switch {
	case (f["task"] != nil) && (f["pid"] != nil || f["pgrp"] != nil) || f["pid"] != nil && f["pgrp"] != nil:
		d.failf(arg, "kill: give one of task, pid and pgrp")
	case f["task"] != nil:
		in.Target = b.task(f["task"], "task")
	case f["pid"] != nil:
		// kill(pid); 0 is the caller's process group, -1 every process
		// the caller may signal but init and its own (kill_something_info).
		in.A = c.pid(f["pid"], -1)
		in.Reg = c.takeReg()
	case f["pgrp"] != nil:
		// kill(-pgid): the process group whose id is that task's pid (or
		// the pid the caller's last fork returned).
		in.Op = sim.OpKillPgrp
		if s, _ := d.scalar(f["pgrp"], "pgrp"); s == "child" {
			in.A = c.pid(f["pgrp"], 1)
		} else {
			in.Target = b.task(f["pgrp"], "pgrp")
		}
	default:
		d.failf(arg, "kill: want task (a task's name), pid (a number as the caller sees it, 0, -1, or child) or pgrp (a task whose pid is the process group's id, or child)")
	}
	if v := f["signal"]; v != nil {
		in.B = int32(d.signal(v, "signal"))
	}
	in.Label = b.expectCall(n, f["label"], f["expect"], nil, "kill")
	c.emit(in)
}

// pid parses the pid of kill or wait: a number from lo to 4194304 as the
// caller sees it, or "child", the pid the caller's last successful fork
// returned to it (sim.PidLastChild), as a selftest's
// `pid = clone_into_cgroup(...); kill(pid, ...)` uses it.
func (c *compiler) pid(n *yaml.Node, lo int64) int32 {
	d := c.b.d
	s, ok := d.scalar(n, "pid")
	if !ok {
		return 0
	}
	if s == "child" {
		if c.lastChild == nil {
			c.lastChild = n
		}
		return sim.PidLastChild
	}
	const hi = 1 << 22
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if r := c.useReg(n, s, regPid, true); r > 0 {
			c.lastReg = r
			return sim.PidReg
		}
	}
	if err != nil || v < lo || v > hi {
		d.failf(n, "pid: want an integer from %d to %d (as the caller sees it), child (the pid the caller's last fork returned) or a register declared above with as:, got %q", lo, hi, s)
		return 0
	}
	return int32(v)
}

func (c *compiler) await(n, arg *yaml.Node) {
	b, d := c.b, c.b.d
	if arg == nil {
		d.failf(n, "await: want one of %v", awaitKeys)
		return
	}
	f := d.fields(arg, "await", awaitKeys)
	if len(f) != 1 {
		if d.err == nil {
			d.failf(arg, "await: want exactly one condition (one of %v)", awaitKeys)
		}
		return
	}
	in := sim.Instr{Op: sim.OpWaitCond, Target: model.NoTask}
	for _, k := range sortedKeys(f) {
		v := f[k]
		switch k {
		case "unpopulated", "populated", "frozen":
			in.Path = d.cgroupPath(v, k)
			in.A = map[string]int32{"unpopulated": sim.CondUnpopulated, "populated": sim.CondPopulated, "frozen": sim.CondFrozen}[k]
		case "exited":
			in.A, in.Target = sim.CondTaskGone, b.task(v, k)
		case "zombie":
			in.A, in.Target = sim.CondZombie, b.task(v, k)
		case "stopped":
			in.A, in.Target = sim.CondStopped, b.task(v, k)
		case "pidfd":
			// poll(2) of a pidfd the program holds: readable once the
			// process it pins has exited as a whole (pidfd_poll).
			in.A, in.Fd = sim.CondTaskGone, c.pidfdReg(v)
		case "fork-past-can-fork":
			in.A, in.Target = sim.CondForkPastCanFork, b.task(v, k)
		case "procs":
			pf := d.fields(v, "procs", procsKeys)
			if pf["cgroup"] == nil || pf["count"] == nil {
				d.failf(v, "procs: want cgroup and count")
				return
			}
			in.A = sim.CondProcs
			in.Path = d.cgroupPath(pf["cgroup"], "cgroup")
			in.B = int32(d.int(pf["count"], "count", 0, 1<<20))
		}
	}
	c.emit(in)
}
