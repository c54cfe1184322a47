package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"cgsim/model"
	"cgsim/sim"
)

// Named registers: a program's variables for pids and pidfds its calls
// returned (`as: NAME` of fork, getpid and pidfd-open; `pidfd: NAME` of a
// fork with CLONE_PIDFD), usable later as `pid: NAME` (kill, wait, waitid,
// setpgid, pidfd-open, a write of a pid to cgroup.procs) or `pidfd: NAME`
// (pidfd-send-signal, waitid, await). The selftests'
// `pid = fork(); ...; kill(pid, SIGKILL); waitpid(pid, &status, 0)`.

type regKind uint8

const (
	regPid regKind = iota + 1
	regPidfd
)

func (k regKind) String() string {
	if k == regPidfd {
		return "a pidfd"
	}
	return "a pid"
}

type reg struct {
	idx  int8
	kind regKind
}

// Keys of the actions this file compiles.
var (
	idKeys        = []string{"as", "ret", "label", "expect"}
	pidfdOpenKeys = []string{"pid", "task", "flags", "as", "label", "expect"}
	pidfdSendKeys = []string{"pidfd", "signal", "flags", "label", "expect"}
	waitidKeys    = []string{"pid", "pidfd", "flags", "status", "ret", "label", "expect"}
	pidfdInfoKeys = []string{"pidfd", "exit", "info", "label", "expect"}
	sigmaskKeys   = []string{"block", "unblock", "setmask", "label", "expect"}
	fdinfoKeys    = []string{"pidfd", "pid", "nspid", "label", "expect"}
)

// declReg declares (or reuses) the register NAME for a value of kind k and
// returns its number (index + 1).
func (c *compiler) declReg(n *yaml.Node, k regKind) int8 {
	d := c.b.d
	name := d.checkName(n, "as")
	if d.err != nil {
		return 0
	}
	if name == "child" {
		d.failf(n, "as: %q is the pid the caller's last fork returned; choose another name", name)
		return 0
	}
	if _, err := strconv.Atoi(name); err == nil {
		d.failf(n, "as: %q: a register's name cannot be a number", name)
		return 0
	}
	if c.regs == nil {
		c.regs = map[string]reg{}
	}
	if r, ok := c.regs[name]; ok {
		if r.kind != k {
			d.failf(n, "as: %q already holds %s, not %s", name, r.kind, k)
			return 0
		}
		return r.idx + 1
	}
	if len(c.regs) >= model.NRegs {
		d.failf(n, "as: %q: a program has at most %d named registers", name, model.NRegs)
		return 0
	}
	r := reg{idx: int8(len(c.regs)), kind: k}
	c.regs[name] = r
	return r.idx + 1
}

// useReg returns the number (index + 1) of register NAME, which must have
// been declared above with kind k; 0 and no error if name is not a
// register and soft is set.
func (c *compiler) useReg(n *yaml.Node, name string, k regKind, soft bool) int8 {
	r, ok := c.regs[name]
	if !ok {
		if !soft {
			c.b.d.failf(n, "%q is not a register of this program (declare it above with as: %s or pidfd: %s)", name, name, name)
		}
		return 0
	}
	if r.kind != k {
		c.b.d.failf(n, "%q holds %s, want %s", name, r.kind, k)
		return 0
	}
	return r.idx + 1
}

// pidfdReg parses `pidfd: NAME`.
func (c *compiler) pidfdReg(n *yaml.Node) int8 {
	name := c.b.d.checkName(n, "pidfd")
	if c.b.d.err != nil {
		return 0
	}
	return c.useReg(n, name, regPidfd, false)
}

// retCheck parses `ret: N|REGISTER|TASK` into in: the value the call must
// return (a pid as the caller sees it).
func (c *compiler) retCheck(n *yaml.Node, in *sim.Instr) {
	d := c.b.d
	s, ok := d.scalar(n, "ret")
	if !ok {
		return
	}
	in.Check |= sim.CheckRet
	if v, err := strconv.ParseInt(s, 10, 32); err == nil {
		in.WantKind, in.Want = sim.WantNumber, int32(v)
		return
	}
	if r := c.useReg(n, s, regPid, true); r > 0 {
		in.WantKind, in.Want = sim.WantReg, int32(r-1)
		return
	}
	if d.err != nil {
		return
	}
	in.WantKind, in.Want = sim.WantTask, int32(c.b.task(n, "ret"))
}

// statusCheck parses `status: TEXT` of wait (waitid: true for waitid) and
// returns the canonical text sim.StatusText records.
func (c *compiler) statusCheck(n *yaml.Node, waitid bool) string {
	d := c.b.d
	s, ok := d.scalar(n, "status")
	if !ok {
		return ""
	}
	f := strings.Fields(s)
	want := "exited N, killed SIG, killed SIG core, stopped SIG, continued or none"
	if waitid {
		want = "CLD_EXITED N, CLD_KILLED SIG, CLD_DUMPED SIG, CLD_STOPPED SIG, CLD_CONTINUED SIGCONT or none"
	}
	bad := func() string { d.failf(n, "status: want %s, got %q", want, s); return "" }
	if len(f) == 1 && f[0] == "none" {
		return "none"
	}
	if !waitid && len(f) == 1 && f[0] == "continued" {
		return "continued"
	}
	if waitid && s == "CLD_CONTINUED SIGCONT" {
		return s
	}
	if len(f) < 2 {
		return bad()
	}
	exited, killed, core := "exited", "killed", ""
	if waitid {
		exited, killed = "CLD_EXITED", "CLD_KILLED"
	}
	switch {
	case f[0] == exited && len(f) == 2:
		v, err := strconv.Atoi(f[1])
		if err != nil || v < 0 || v > 255 {
			return bad()
		}
		return fmt.Sprintf("%s %d", exited, v)
	case f[0] == killed && len(f) == 2:
	case !waitid && f[0] == killed && len(f) == 3 && f[2] == "core":
		core = " core"
	case waitid && f[0] == "CLD_DUMPED" && len(f) == 2:
		killed = "CLD_DUMPED"
	case waitid && f[0] == "CLD_STOPPED" && len(f) == 2:
		killed = "CLD_STOPPED"
	case !waitid && f[0] == "stopped" && len(f) == 2:
		killed = "stopped"
	default:
		return bad()
	}
	sig, ok := model.ParseSignal(f[1])
	if !ok {
		return bad()
	}
	return killed + " " + sig.String() + core
}

// checked registers the expectation of a call with result checks: the
// errno (OK by default when a status or ret is asked for) and the text
// sim.World.checkData records for it.
func (c *compiler) checked(n *yaml.Node, f map[string]*yaml.Node, in *sim.Instr, status, what string) string {
	b := c.b
	parts := []string{}
	if status != "" {
		in.Check |= sim.CheckStatus
		parts = append(parts, status)
	}
	if in.Check&sim.CheckRet != 0 {
		parts = append(parts, "ret ok")
	}
	if len(parts) == 0 {
		return b.expectCall(n, f["label"], f["expect"], nil, what)
	}
	data := strings.Join(parts, "; ")
	return b.expectCallData(n, f["label"], f["expect"], data, what)
}

// idCall compiles getpid, getppid, getpgid and getsid: bare, or
// {as, ret, label, expect}.
func (c *compiler) idCall(n, arg *yaml.Node, op sim.Op, name string) {
	in := sim.Instr{Op: op}
	if arg != nil {
		f := c.b.d.fields(arg, name, idKeys)
		if v := f["ret"]; v != nil {
			c.retCheck(v, &in)
		}
		if v := f["as"]; v != nil {
			in.Out = c.declReg(v, regPid)
		}
		in.Label = c.checked(n, f, &in, "", name)
	}
	c.emit(in)
}

// pidfdOpen compiles `pidfd-open: {pid: N|child|REGISTER | task: NAME,
// flags: [PIDFD_THREAD], as: NAME, label, expect}`.
func (c *compiler) pidfdOpen(n, arg *yaml.Node) {
	d := c.b.d
	f := d.fields(arg, "pidfd-open", pidfdOpenKeys)
	in := sim.Instr{Op: sim.OpPidfdOpen, Target: model.NoTask}
	switch {
	case f["pid"] != nil && f["task"] != nil, f["pid"] == nil && f["task"] == nil:
		d.failf(arg, "pidfd-open: give one of pid and task")
		return
	case f["task"] != nil:
		in.A, in.Target = sim.PidTarget, c.b.task(f["task"], "task")
	default:
		// pid_t as C passes it: -1 and 0 are invalid (EINVAL).
		in.A = c.pid(f["pid"], -1)
		in.Reg = c.takeReg()
	}
	for _, fl := range d.listOrOne(f["flags"], "flags") {
		if s := d.str(fl, "flags"); s == "PIDFD_THREAD" {
			in.C |= int32(model.PIDFD_THREAD)
		} else {
			d.failf(fl, "flags: want PIDFD_THREAD, got %q", s)
		}
	}
	if v := f["as"]; v != nil {
		in.Out = c.declReg(v, regPidfd)
	}
	in.Label = c.b.expectCall(n, f["label"], f["expect"], nil, "pidfd_open")
	c.emit(in)
}

// pidfdSend compiles `pidfd-send-signal: {pidfd: NAME, signal, flags, label, expect}`.
func (c *compiler) pidfdSend(n, arg *yaml.Node) {
	d := c.b.d
	f := d.fields(arg, "pidfd-send-signal", pidfdSendKeys)
	if f["pidfd"] == nil {
		d.failf(arg, "pidfd-send-signal: want pidfd (a register a fork's pidfd: or pidfd-open's as: set)")
		return
	}
	in := sim.Instr{Op: sim.OpPidfdSend, Target: model.NoTask, B: int32(model.SIGKILL)}
	in.Fd = c.pidfdReg(f["pidfd"])
	if v := f["signal"]; v != nil {
		if s, _ := d.scalar(v, "signal"); s == "0" {
			in.B = 0 // the existence check
		} else {
			in.B = int32(d.signal(v, "signal"))
		}
	}
	for _, fl := range d.listOrOne(f["flags"], "flags") {
		switch s := d.str(fl, "flags"); s {
		case "PIDFD_SIGNAL_THREAD":
			in.C |= int32(model.PIDFD_SIGNAL_THREAD)
		case "PIDFD_SIGNAL_THREAD_GROUP":
			in.C |= int32(model.PIDFD_SIGNAL_THREAD_GROUP)
		case "PIDFD_SIGNAL_PROCESS_GROUP":
			in.C |= int32(model.PIDFD_SIGNAL_PROCESS_GROUP)
		default:
			d.failf(fl, "flags: want PIDFD_SIGNAL_THREAD, PIDFD_SIGNAL_THREAD_GROUP or PIDFD_SIGNAL_PROCESS_GROUP, got %q", s)
		}
	}
	in.Label = c.b.expectCall(n, f["label"], f["expect"], nil, "pidfd_send_signal")
	c.emit(in)
}

// waitid compiles `waitid: {pid: N|child|REGISTER | pidfd: NAME, flags,
// status, ret, label, expect}`: P_PID, P_PIDFD, or P_ALL without either.
func (c *compiler) waitid(n, arg *yaml.Node) {
	d := c.b.d
	in := sim.Instr{Op: sim.OpWaitid, A: -1, B: int32(model.WEXITED)}
	if arg == nil {
		c.emit(in)
		return
	}
	f := d.fields(arg, "waitid", waitidKeys)
	switch {
	case f["pid"] != nil && f["pidfd"] != nil:
		d.failf(arg, "waitid: give at most one of pid and pidfd")
		return
	case f["pid"] != nil:
		in.A = c.pid(f["pid"], 1)
		in.Reg = c.takeReg()
	case f["pidfd"] != nil:
		in.Fd = c.pidfdReg(f["pidfd"])
	}
	if v := f["flags"]; v != nil {
		in.B = 0
		for _, fl := range d.listOrOne(v, "flags") {
			switch s := d.str(fl, "flags"); s {
			case "WEXITED":
				in.B |= int32(model.WEXITED)
			case "WNOHANG":
				in.B |= int32(model.WNOHANG)
			case "WNOWAIT":
				in.B |= int32(model.WNOWAIT)
			case "__WALL":
				in.B |= int32(model.WALL)
			case "WSTOPPED", "WUNTRACED":
				in.B |= int32(model.WSTOPPED)
			case "WCONTINUED":
				in.B |= int32(model.WCONTINUED)
			default:
				d.failf(fl, "flags: want WEXITED, WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT or __WALL, got %q", s)
			}
		}
	}
	if v := f["ret"]; v != nil {
		c.retCheck(v, &in)
	}
	status := ""
	if v := f["status"]; v != nil {
		status = c.statusCheck(v, true)
	}
	in.Label = c.checked(n, f, &in, status, "waitid")
	c.emit(in)
}

// takeReg returns (and clears) the register the last pid parsed named.
func (c *compiler) takeReg() int8 {
	r := c.lastReg
	c.lastReg = 0
	return r
}

// pidfdInfo compiles `pidfd-info: {pidfd: NAME, exit: true|false, info:
// creds|exit STATUS, label, expect}`: ioctl(PIDFD_GET_INFO), with
// PIDFD_INFO_EXIT in the mask when exit is true. info is what it must
// report: creds (the process still exists, no exit information) or exit
// and a wait status text (exited N, killed SIG).
func (c *compiler) pidfdInfo(n, arg *yaml.Node) {
	d := c.b.d
	f := d.fields(arg, "pidfd-info", pidfdInfoKeys)
	if f["pidfd"] == nil {
		d.failf(arg, "pidfd-info: want pidfd")
		return
	}
	in := sim.Instr{Op: sim.OpPidfdInfo, Target: model.NoTask}
	in.Fd = c.pidfdReg(f["pidfd"])
	if v := f["exit"]; v != nil {
		switch s, _ := d.scalar(v, "exit"); s {
		case "true":
			in.B = 1
		case "false":
		default:
			d.failf(v, "exit: want true or false, got %q", s)
		}
	}
	status := ""
	if v := f["info"]; v != nil {
		s, _ := d.scalar(v, "info")
		switch {
		case s == "creds":
			status = s
		case strings.HasPrefix(s, "exit "):
			v2 := *v
			v2.Value = strings.TrimPrefix(s, "exit ")
			if st := c.statusCheck(&v2, false); st != "" && st != "none" {
				status = "exit " + st
			} else if d.err == nil {
				d.failf(v, "info: want creds or exit STATUS (exited N, killed SIG), got %q", s)
			}
		default:
			d.failf(v, "info: want creds or exit STATUS (exited N, killed SIG), got %q", s)
		}
	}
	in.Label = c.checked(n, f, &in, status, "pidfd_info")
	c.emit(in)
}

// setTid parses a fork's `set_tid: [N|REG, ...]` (clone3's set_tid: the
// pid wanted in the child's own namespace, then in the one above): at
// most model.MaxSetTid numbers, each an integer or a pid register (the
// pid it holds when the fork is made; 0 stops the array, as an unset
// register would).
func (c *compiler) setTid(n *yaml.Node, in *sim.Instr) {
	d := c.b.d
	items := d.listOrOne(n, "set_tid")
	if len(items) == 0 || len(items) > model.MaxSetTid {
		d.failf(n, "set_tid: want 1 to %d pids (innermost namespace first)", model.MaxSetTid)
		return
	}
	for i, it := range items {
		s, ok := d.scalar(it, "set_tid")
		if !ok {
			return
		}
		if v, err := strconv.ParseInt(s, 10, 32); err == nil {
			if v == 0 {
				d.failf(it, "set_tid: 0 is no pid (the kernel refuses it with EINVAL; leave the level out)")
				return
			}
			in.SetTid[i] = int32(v)
			continue
		}
		in.SetTidReg[i] = c.useReg(it, s, regPid, false)
	}
}

// sigprocmask compiles `sigprocmask: {block|unblock|setmask: [SIG, ...],
// label, expect}`: rt_sigprocmask with SIG_BLOCK, SIG_UNBLOCK or
// SIG_SETMASK.
func (c *compiler) sigprocmask(n, arg *yaml.Node) {
	d := c.b.d
	f := d.fields(arg, "sigprocmask", sigmaskKeys)
	in := sim.Instr{Op: sim.OpSigprocmask, Target: model.NoTask}
	count := 0
	for _, how := range []struct {
		key string
		v   int32
	}{{"block", model.SIG_BLOCK}, {"unblock", model.SIG_UNBLOCK}, {"setmask", model.SIG_SETMASK}} {
		v := f[how.key]
		if v == nil {
			continue
		}
		count++
		in.A = how.v
		for _, s := range d.listOrOne(v, how.key) {
			sig := d.signal(s, how.key)
			in.Mask = in.Mask.With(sig)
		}
	}
	if count != 1 {
		d.failf(arg, "sigprocmask: want one of block, unblock and setmask (a list of signals)")
		return
	}
	in.Label = c.b.expectCall(n, f["label"], f["expect"], nil, "rt_sigprocmask")
	c.emit(in)
}

// pidfdFdinfo compiles `pidfd-fdinfo: {pidfd: NAME, pid: N|REG, nspid:
// [N|REG, ...], label, expect}`: a read of /proc/self/fdinfo/FD of the
// pidfd, whose Pid: and NSpid: lines must be the ones given (a pid as
// the reader's namespace sees it, 0 outside it, -1 once reaped).
func (c *compiler) pidfdFdinfo(n, arg *yaml.Node) {
	d := c.b.d
	f := d.fields(arg, "pidfd-fdinfo", fdinfoKeys)
	if f["pidfd"] == nil || f["pid"] == nil || f["nspid"] == nil {
		d.failf(arg, "pidfd-fdinfo: want pidfd, pid and nspid")
		return
	}
	in := sim.Instr{Op: sim.OpPidfdFdinfo, Target: model.NoTask}
	in.Fd = c.pidfdReg(f["pidfd"])
	num := func(v *yaml.Node) (int32, int8) {
		s, _ := d.scalar(v, "pid")
		if x, err := strconv.ParseInt(s, 10, 32); err == nil {
			return int32(x), 0
		}
		return 0, c.useReg(v, s, regPid, false)
	}
	p, r := num(f["pid"])
	in.Want, in.WantKind = p, sim.WantNumber
	if r > 0 {
		in.Want, in.WantKind = int32(r-1), sim.WantReg
	}
	for _, v := range d.listOrOne(f["nspid"], "nspid") {
		x, r := num(v)
		in.FdinfoNS = append(in.FdinfoNS, x)
		in.FdinfoNSReg = append(in.FdinfoNSReg, r)
	}
	label := c.b.expectCallData(n, f["label"], f["expect"], "fdinfo ok", "read of the pidfd's fdinfo")
	in.Label = label
	c.emit(in)
}
