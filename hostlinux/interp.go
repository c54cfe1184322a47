package hostlinux

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"cgsim/model"
	"cgsim/sim"
)

// This file is the real-kernel side of a scenario run: a helper process
// that executes one of the simulator's programs (package sim's Instr)
// with real system calls. A fork is clone3 of this binary re-executed as
// a helper that starts at the child's pc with the parent's registers, so
// parent and child run the same program as in the simulator.
//
// The processes of a run share three descriptors, set up by RunScenario:
//
//	fd 3  the call log (O_APPEND): one JSON line per labelled call
//	fd 4  a unix datagram socket to the harness: "task SLOT NAME" with
//	      the pidfd of each new process (SCM_RIGHTS), sent by its parent
//	fd 5  the status page, mapped shared (statusPage)
//
// Setup tasks first obey commands read from the FIFO ctl.SLOT in the
// run's scratch directory ("fork" a setup child, "go"), so that every task
// is forked by the parent the scenario names, in file order.

// scenarioEnv carries a scenario helper's procState (JSON).
const scenarioEnv = "CGSIM_SCENARIO"

// procState is where a scenario helper starts. A forked child gets its
// parent's, with its own name, slot and pc.
type procState struct {
	// Dir is the run's scratch directory (programs.json, FIFOs); Base its
	// cgroup directory.
	Dir, Base string
	// Name identifies the task: a setup task's name, or its parent's name
	// and the ordinal of the fork (tester.1, tester.1.2).
	Name string
	Slot int32
	// Setup: obey the commands of Dir/ctl.SLOT until "go".
	Setup bool
	Prog  int32
	PC    int32
	// R are the program's registers (sim's model.UserRegs.R: R[0] the loop
	// counter, R[2] the pid the last fork returned; R[1] is the simulator's
	// own).
	R [3]int32
	// Ignored and Handled are the signals set to SIG_IGN and to a
	// returning handler (exec resets handlers, so a child re-installs them).
	Ignored, Handled []int
	// Pids maps setup task names to their pids in the harness's pid
	// namespace (sent with "go"); Names maps simulator task ids of setup
	// tasks to their names (kill and await of a task); NSTask maps a
	// simulator pid namespace to the name of a setup task in it (setns).
	Pids   map[string]int
	Names  map[int32]string
	NSTask map[int32]string
	// ForkLimit bounds the forks of the whole run (statusPage.forks).
	ForkLimit int32
	forks     int32
}

// The status page is the run's shared memory (fd 5), int32 words: a
// header, then the state of each slot, then the slot of each slot's
// parent plus one (0: not recorded; the parent was killed between taking
// the slot and recording itself, or it is a setup task, which the
// harness tracks itself).
const (
	pageProgress  = iota // bumped by every instruction of every helper
	pageForks            // forks started by the helpers of the run
	pageBound            // 1 once a fork was refused for the bound
	pageSlots            // slot allocator
	pageFirstSlot = 16
	pageSlotsMax  = 4096
	pageParents   = pageFirstSlot + pageSlotsMax
	pageBytes     = 4 * (pageParents + pageSlotsMax)
)

// Slot states.
const (
	slotStarting int32 = iota // exec'd, not yet interpreting
	slotRunning
	slotBlocked // in pause(2) or a blocking wait4(2)
	slotPolling // in an await whose condition is false
	slotSetup   // waiting for setup commands
	slotVoid    // allocated to a fork that failed
)

type interp struct {
	st    procState
	progs []sim.Program
	page  []byte
	log   *os.File
	sock  int
	err   model.Errno // result of the last call
	sigCh chan os.Signal
	// goAct is the Go runtime's sigaction of each signal, saved at start,
	// to restore a handler after SIG_IGN or SIG_DFL were set by hand.
	goAct [65]sigactionT
}

func (in *interp) word(i int) *int32 { return (*int32)(unsafe.Pointer(&in.page[4*i])) }

func (in *interp) setState(s int32) {
	atomic.StoreInt32(in.word(pageFirstSlot+int(in.st.Slot)), s)
	atomic.AddInt32(in.word(pageProgress), 1)
}

// scenarioHelper runs the program of $CGSIM_SCENARIO; it never returns
// but through exit.
func scenarioHelper() int {
	runtime.LockOSThread() // unshare and setns act on this thread; forks come from it
	var in interp
	if err := json.Unmarshal([]byte(os.Getenv(scenarioEnv)), &in.st); err != nil {
		fmt.Fprintln(os.Stderr, "cgsim scenario helper:", err)
		return 3
	}
	b, err := os.ReadFile(filepath.Join(in.st.Dir, "programs.json"))
	if err == nil {
		err = json.Unmarshal(b, &in.progs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgsim scenario helper:", err)
		return 3
	}
	in.log = os.NewFile(3, "log")
	in.sock = 4
	in.page, err = syscall.Mmap(5, 0, pageBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		in.fail("mmap of the status page: %v", err)
	}
	in.sigCh = make(chan os.Signal, 64)
	for s := 1; s < len(in.goAct); s++ {
		in.goAct[s], _ = getSigaction(s)
	}
	// Signals whose kernel default is to terminate get SIG_DFL, as in a C
	// program (the Go runtime would otherwise catch and drop some).
	for _, s := range termSignals {
		in.disposition(s, model.SigDefault)
	}
	for _, s := range in.st.Ignored {
		in.disposition(s, model.SigIgnore)
	}
	for _, s := range in.st.Handled {
		in.disposition(s, model.HandlerReturn)
	}
	// A process registers itself too: its parent may be killed between
	// clone and announcing it.
	if fd, _, e := syscall.RawSyscall(sysPidfdOpen, uintptr(os.Getpid()), 0, 0); e == 0 {
		in.announce(in.st.Slot, in.st.Name, int(fd))
	}
	if in.st.Setup {
		in.setState(slotSetup)
		in.setupCommands()
	}
	in.setState(slotRunning)
	in.run()
	return 0
}

// termSignals are the catchable signals whose default action terminates
// the process without a core dump.
var termSignals = []int{int(syscall.SIGHUP), int(syscall.SIGINT), int(syscall.SIGUSR1), int(syscall.SIGUSR2),
	int(syscall.SIGALRM), int(syscall.SIGTERM)}

// fail records an error of the helper itself in the log and exits 3.
func (in *interp) fail(format string, args ...any) {
	in.record(logLine{Task: in.st.Name, Error: fmt.Sprintf(format, args...)})
	os.Exit(3)
}

// logLine is one line of the call log.
type logLine struct {
	Task  string `json:"task"`
	Label string `json:"label,omitempty"`
	Errno int    `json:"errno"`
	Data  string `json:"data,omitempty"`
	// Error is a failure of the helper (not of a call).
	Error string `json:"error,omitempty"`
}

func (in *interp) record(l logLine) {
	b, _ := json.Marshal(l)
	_, _ = in.log.Write(append(b, '\n')) // one write(2) on an O_APPEND file
}

// setupCommands obeys the harness until "go".
func (in *interp) setupCommands() {
	f, err := os.Open(filepath.Join(in.st.Dir, "ctl."+strconv.Itoa(int(in.st.Slot))))
	if err != nil {
		in.fail("control FIFO: %v", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		verb, arg, _ := strings.Cut(sc.Text(), " ")
		switch verb {
		case "fork":
			var c setupChild
			if err := json.Unmarshal([]byte(arg), &c); err != nil {
				in.fail("fork command: %v", err)
			}
			in.setupFork(c)
		case "go":
			if err := json.Unmarshal([]byte(arg), &in.st.Pids); err != nil {
				in.fail("go command: %v", err)
			}
			f.Close()
			return
		default:
			in.fail("unknown command %q", verb)
		}
	}
	in.fail("control FIFO closed before go: %v", sc.Err())
}

// setupChild is a "fork" command: clone the setup task Name.
type setupChild struct {
	Name   string
	Slot   int32
	Prog   int32
	Cgroup string // "" for the parent's
	NewPID bool
	// SetnsPid is the pid (harness namespace) of a task whose pid
	// namespace the parent joins first (setns), 0 for none.
	SetnsPid int
}

func (in *interp) setupFork(c setupChild) {
	if c.SetnsPid != 0 {
		if e := setnsPid(c.SetnsPid); e != model.OK {
			in.fail("setns into the pid namespace of pid %d: %v", c.SetnsPid, e)
		}
	}
	var flags int32
	if c.NewPID {
		flags |= int32(model.CLONE_NEWPID)
	}
	child := in.st
	child.Name, child.Slot, child.Setup, child.Prog, child.PC, child.R, child.forks = c.Name, c.Slot, true, c.Prog, 0, [3]int32{}, 0
	if _, e := in.spawn(child, flags, c.Cgroup); e != model.OK {
		in.fail("clone3 of setup task %s: %v", c.Name, e)
	}
}

// spawn clones a helper with state child (CLONE_INTO_CGROUP of cg when
// it is not "", extra clone flags), registers it with the harness and
// returns its pid as this process sees it.
func (in *interp) spawn(child procState, flags int32, cg string) (int, model.Errno) {
	env, err := json.Marshal(child)
	if err != nil {
		return 0, model.EINVAL
	}
	attr := &syscall.SysProcAttr{Cloneflags: uintptr(flags) &^ uintptr(model.CLONE_INTO_CGROUP)}
	if cg != "" {
		fd, err := syscall.Open(in.path(cg), oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return 0, model.Errno(errnoOf(err))
		}
		defer syscall.Close(fd)
		attr.UseCgroupFD, attr.CgroupFD = true, fd
	}
	pidfd := -1
	attr.PidFD = &pidfd
	self, err := os.Executable()
	if err != nil {
		return 0, model.ENOENT
	}
	pid, err := syscall.ForkExec(self, []string{self}, &syscall.ProcAttr{Env: helperEnviron(env), Files: []uintptr{0, 1, 2, 3, 4, 5}, Sys: attr})
	if err != nil {
		return 0, model.Errno(errnoOf(err))
	}
	if pidfd >= 0 {
		in.announce(child.Slot, child.Name, pidfd)
	}
	return pid, model.OK
}

// announce sends the harness the pidfd of a process of the run, and
// closes it here.
func (in *interp) announce(slot int32, name string, pidfd int) {
	msg := fmt.Sprintf("task %d %s", slot, name)
	_ = syscall.Sendmsg(in.sock, []byte(msg), syscall.UnixRights(pidfd), nil, 0)
	syscall.Close(pidfd)
}

// helperEnviron is this process's environment with the scenario helper's
// variables replaced (getenv finds the first of duplicates).
func helperEnviron(state []byte) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, HelperEnv+"=") && !strings.HasPrefix(kv, scenarioEnv+"=") {
			env = append(env, kv)
		}
	}
	return append(env, HelperEnv+"=scenario", scenarioEnv+"="+string(state))
}

// errnoOf is the errno of a failed call (an *os.PathError's too); EIO
// for an error that carries none.
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

// path maps a scenario cgroup path (a directory or a file in one) into
// the run's cgroup.
func (in *interp) path(p string) string { return mapPath(in.st.Base, p) }

// run interprets the program from the current pc, as sim.World.next and
// issue do.
func (in *interp) run() {
	code := in.progs[in.st.Prog].Code
	for guard := 0; ; guard++ {
		atomic.AddInt32(in.word(pageProgress), 1)
		if int(in.st.PC) >= len(code) {
			os.Exit(0)
		}
		ins := code[in.st.PC]
		switch ins.Op {
		case sim.OpJump:
			in.st.PC = ins.A
			continue
		case sim.OpJumpIfErr:
			if (ins.A == 0 && in.err != model.OK) || (ins.A != 0 && in.err == model.Errno(ins.A)) {
				in.st.PC = ins.B
			} else {
				in.st.PC++
			}
			continue
		case sim.OpLoop:
			if in.st.R[0] < ins.A {
				in.st.R[0]++
				in.st.PC = ins.B
			} else {
				in.st.PC++
			}
			continue
		case sim.OpSet:
			in.st.R[0] = ins.A
			in.st.PC++
			continue
		}
		if guard > 64 && ins.Op == sim.OpSpin {
			runtime.Gosched()
			guard = 0
		}
		in.issue(ins)
		in.st.PC++
	}
}

// issue makes the call of one instruction and records its result.
func (in *interp) issue(ins sim.Instr) {
	var e model.Errno
	var data string
	switch ins.Op {
	case sim.OpPause:
		in.setState(slotBlocked)
		e = in.pause()
		in.setState(slotRunning)
	case sim.OpExitGroup:
		os.Exit(int(ins.A))
	case sim.OpFork:
		e = in.fork(ins)
	case sim.OpWait:
		pid := int(ins.A)
		if ins.A == sim.PidLastChild {
			if pid = int(in.st.R[2]); pid == 0 {
				e = model.ECHILD
				break
			}
		}
		e = in.wait4(pid, int(ins.B))
	case sim.OpKill:
		e = in.kill(ins)
	case sim.OpWrite:
		e = writeFile(in.path(cgFile(ins)), ins.Str)
	case sim.OpRead:
		b, err := os.ReadFile(in.path(cgFile(ins)))
		data, e = string(b), model.Errno(errnoOf0(err))
	case sim.OpMkdir:
		e = model.Errno(errnoOf0(syscall.Mkdir(in.path(ins.Path), 0o755)))
	case sim.OpRmdir:
		e = model.Errno(errnoOf0(syscall.Rmdir(in.path(ins.Path))))
	case sim.OpUnshare:
		e = model.Errno(errnoOf0(syscall.Unshare(syscall.CLONE_NEWPID)))
	case sim.OpSetns:
		name, ok := in.st.NSTask[ins.A]
		if !ok || in.st.Pids[name] == 0 {
			in.fail("setns: no task of pid namespace %d is known", ins.A)
		}
		e = setnsPid(in.st.Pids[name])
	case sim.OpSubreaper:
		_, _, en := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
		e = model.Errno(en)
	case sim.OpSigaction:
		e = in.disposition(int(ins.A), model.Disposition(ins.B))
	case sim.OpSpin:
	case sim.OpWaitCond:
		in.await(ins)
		return
	default:
		in.fail("instruction %v cannot run on the real kernel", ins.Op)
	}
	in.err = e
	if ins.Label != "" {
		in.record(logLine{Task: in.st.Name, Label: ins.Label, Errno: int(e), Data: data})
	}
}

const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER

func errnoOf0(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return errnoOf(err)
}

// cgFile is the path of an instruction's cgroup file.
func cgFile(ins sim.Instr) string {
	dir := strings.TrimSuffix(ins.Path, "/")
	return dir + "/" + ins.File.String()
}

// writeFile is open(2) and one write(2), as a C program writes a cgroup
// file; the errno of whichever failed.
func writeFile(p, value string) model.Errno {
	fd, err := syscall.Open(p, syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return model.Errno(errnoOf(err))
	}
	defer syscall.Close(fd)
	_, err = syscall.Write(fd, []byte(value))
	return model.Errno(errnoOf0(err))
}

// pause is pause(2): it returns EINTR once a signal with a returning
// handler arrives (the handler is Go's: the signal comes on sigCh), and
// never otherwise. A signal handled before the call does not count, as a
// handler that ran before a system call does not interrupt it.
func (in *interp) pause() model.Errno {
	if len(in.st.Handled) > 0 {
		in.drainSignals()
		<-in.sigCh
		return model.EINTR
	}
	for {
		syscall.Syscall(syscall.SYS_PAUSE, 0, 0, 0)
	}
}

func (in *interp) drainSignals() {
	for {
		select {
		case <-in.sigCh:
		default:
			return
		}
	}
}

// wait4 is wait4(2) (status not kept). A blocking one is polled with
// WNOHANG so that a signal with a returning handler interrupts it with
// EINTR, as in the kernel (Go's handlers restart the call, and the signal
// may be delivered to another of the helper's threads).
func (in *interp) wait4(pid, opts int) model.Errno {
	var ws syscall.WaitStatus
	if opts&int(model.WNOHANG) != 0 {
		_, err := syscall.Wait4(pid, &ws, opts, nil)
		return model.Errno(errnoOf0(err))
	}
	in.drainSignals()
	in.setState(slotBlocked)
	defer in.setState(slotRunning)
	for {
		r, err := syscall.Wait4(pid, &ws, opts|int(model.WNOHANG), nil)
		if err != syscall.EINTR && (err != nil || r != 0) {
			return model.Errno(errnoOf0(err))
		}
		if len(in.st.Handled) > 0 {
			select {
			case <-in.sigCh:
				return model.EINTR
			default:
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// fork is the fork of a program: the child is this binary re-executed at
// the child's pc with the registers the parent has now.
func (in *interp) fork(ins sim.Instr) model.Errno {
	if uint32(ins.A)&model.CLONE_THREAD != 0 {
		in.fail("CLONE_THREAD cannot run on the real kernel (the helpers are separate processes)")
	}
	if n := atomic.AddInt32(in.word(pageForks), 1); n > in.st.ForkLimit {
		atomic.StoreInt32(in.word(pageBound), 1)
		return model.EAGAIN
	}
	slot := atomic.AddInt32(in.word(pageSlots), 1) - 1
	if slot >= pageSlotsMax {
		atomic.StoreInt32(in.word(pageBound), 1)
		return model.EAGAIN
	}
	atomic.StoreInt32(in.word(pageParents+int(slot)), in.st.Slot+1)
	in.st.forks++
	child := in.st
	child.Name = fmt.Sprintf("%s.%d", in.st.Name, in.st.forks)
	child.Slot, child.Setup, child.PC, child.forks = slot, false, ins.B, 0
	cg := ""
	if uint32(ins.A)&model.CLONE_INTO_CGROUP != 0 {
		cg = ins.Path
	}
	in.setState(slotRunning)
	pid, e := in.spawn(child, ins.A, cg)
	if e == model.OK {
		in.st.R[2] = int32(pid)
	} else {
		in.st.forks--
		atomic.StoreInt32(in.word(pageFirstSlot+int(slot)), slotVoid)
	}
	return e
}

// kill is kill(2) of a setup task (by its pid in this task's pid
// namespace) or of the pid the last fork returned.
func (in *interp) kill(ins sim.Instr) model.Errno {
	var pid int
	switch {
	case ins.Target != model.NoTask:
		name := in.st.Names[int32(ins.Target)]
		if name == "" || in.st.Pids[name] == 0 {
			in.fail("kill: task %d is not a setup task of the run", ins.Target)
		}
		return killTask(in.st.Pids[name], syscall.Signal(ins.B))
	case ins.A == sim.PidLastChild:
		if pid = int(in.st.R[2]); pid == 0 {
			return model.ESRCH
		}
	default:
		in.fail("kill of a literal pid (%d) cannot run on the real kernel", ins.A)
	}
	return model.Errno(errnoOf0(syscall.Kill(pid, syscall.Signal(ins.B))))
}

// killTask is kill(2) of the process whose pid in the harness's pid
// namespace is rootPid, by its pid in this process's namespace: ESRCH if
// it has none. The candidate pid is pinned with a pidfd and checked
// against rootPid (fdinfo shows pids as /proc's namespace, the harness's,
// sees them): a process of a sibling namespace with the same number, or a
// recycled pid, is not signalled.
func killTask(rootPid int, sig syscall.Signal) model.Errno {
	pid := pidInOwnNS(rootPid)
	if pid == 0 {
		return model.ESRCH // not visible from this pid namespace
	}
	fd, _, e := syscall.RawSyscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if e != 0 {
		return model.Errno(e)
	}
	defer syscall.Close(int(fd))
	if pidOfPidfd(int(fd)) != rootPid {
		return model.ESRCH
	}
	_, _, e = syscall.RawSyscall6(sysPidfdSendSignal, fd, uintptr(sig), 0, 0, 0, 0)
	return model.Errno(e)
}

// pidInOwnNS translates a pid of the harness's namespace (the one /proc
// is mounted for) into this process's pid namespace: NSpid of
// /proc/PID/status lists it at each level; this process's level is the
// length of its own NSpid list. 0: not visible here.
func pidInOwnNS(rootPid int) int {
	self := nsPids("/proc/self/status")
	other := nsPids(fmt.Sprintf("/proc/%d/status", rootPid))
	lvl := len(self) - 1
	if lvl < 0 || lvl >= len(other) {
		return 0
	}
	return other[lvl]
}

func nsPids(file string) []int {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "NSpid:"); ok {
			var out []int
			for _, f := range strings.Fields(v) {
				n, _ := strconv.Atoi(f)
				out = append(out, n)
			}
			return out
		}
	}
	return nil
}

// setnsPid joins the pid namespace of pid (harness namespace) for this
// thread's future children.
func setnsPid(pid int) model.Errno {
	fd, err := syscall.Open(fmt.Sprintf("/proc/%d/ns/pid", pid), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return model.Errno(errnoOf(err))
	}
	defer syscall.Close(fd)
	_, _, en := syscall.RawSyscall(sysSetns, uintptr(fd), syscall.CLONE_NEWPID, 0)
	return model.Errno(en)
}

// await polls the condition of a waitcond instruction every millisecond,
// as the selftests' cg_read_strcmp_wait and cg_wait_for_proc_count poll.
func (in *interp) await(ins sim.Instr) {
	for i := 0; !in.cond(ins); i++ {
		if i == 0 {
			in.setState(slotPolling)
		}
		time.Sleep(time.Millisecond)
	}
	in.setState(slotRunning)
}

func (in *interp) cond(ins sim.Instr) bool {
	switch ins.A {
	case sim.CondUnpopulated, sim.CondPopulated, sim.CondFrozen:
		populated, frozen, err := cgroupEvents(in.path(ins.Path))
		if err != nil {
			// A removed cgroup is not populated; nothing else holds of it
			// (as sim.World.cond).
			return ins.A == sim.CondUnpopulated && errnoOf(err) == syscall.ENOENT
		}
		switch ins.A {
		case sim.CondUnpopulated:
			return !populated
		case sim.CondPopulated:
			return populated
		}
		return frozen
	case sim.CondProcs:
		b, err := os.ReadFile(in.path(strings.TrimSuffix(ins.Path, "/") + "/cgroup.procs"))
		return err == nil && len(strings.Fields(string(b))) >= int(ins.B)
	case sim.CondTaskGone:
		// What a poll of its pidfd says (pidfd_poll): reaped, or a zombie
		// whose thread group has exited (num_threads, field 20, is
		// signal->nr_threads: 1 once the other threads are released).
		f := procStat(in.st.Pids[in.st.Names[int32(ins.Target)]])
		return len(f) == 0 || f[0] == "X" || f[0] == "Z" && len(f) > 17 && f[17] == "1"
	case sim.CondZombie:
		f := procStat(in.st.Pids[in.st.Names[int32(ins.Target)]])
		return len(f) == 0 || f[0] == "Z" || f[0] == "X" // reaped, or itself done exiting
	}
	in.fail("await condition %d cannot run on the real kernel", ins.A)
	return true
}

// sigactionT is the kernel's struct sigaction (x86-64 and arm64 layout).
type sigactionT struct {
	Handler  uintptr
	Flags    uint64
	Restorer uintptr
	Mask     uint64
}

func getSigaction(sig int) (sigactionT, syscall.Errno) {
	var old sigactionT
	_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	return old, e
}

func setSigaction(sig int, act *sigactionT) syscall.Errno {
	_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), 0, 8, 0, 0)
	return e
}

// disposition is sigaction(2) of sig: SIG_DFL and SIG_IGN are set in the
// kernel as a C program would; a returning handler is the Go runtime's,
// which passes the signal to sigCh (pause returns EINTR for it).
func (in *interp) disposition(sig int, d model.Disposition) model.Errno {
	if sig <= 0 || sig >= len(in.goAct) || sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
		return model.EINVAL
	}
	in.st.Ignored = without(in.st.Ignored, sig)
	in.st.Handled = without(in.st.Handled, sig)
	switch d {
	case model.SigDefault:
		signal.Reset(syscall.Signal(sig))
		return model.Errno(setSigaction(sig, &sigactionT{Handler: 0}))
	case model.SigIgnore:
		signal.Reset(syscall.Signal(sig))
		in.st.Ignored = append(in.st.Ignored, sig)
		return model.Errno(setSigaction(sig, &sigactionT{Handler: 1}))
	case model.HandlerReturn:
		act := in.goAct[sig]
		if e := setSigaction(sig, &act); e != 0 {
			return model.Errno(e)
		}
		in.st.Handled = append(in.st.Handled, sig)
		signal.Notify(in.sigCh, syscall.Signal(sig))
		return model.OK
	}
	in.fail("signal disposition %d cannot run on the real kernel", d)
	return model.EINVAL
}

func without(s []int, v int) []int {
	out := s[:0:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
