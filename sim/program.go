package sim

import (
	"fmt"
	"math"

	"cgsim/model"
)

// Op is one instruction of a built-in user program.
type Op uint8

// Instructions. System-call instructions issue the call; the task's next
// user step sees its result (Task.Ret/Err) and moves on. Pure instructions
// (Jump, JumpIfErr, Loop) run in the same user step as the system call
// that follows them.
const (
	OpPause        Op = iota // pause(2)
	OpExitGroup              // exit_group(A)
	OpExit                   // exit(A): this thread only
	OpFork                   // clone(flags A) with CLONE_INTO_CGROUP target Cg; the child starts at B
	OpWait                   // wait4(A, flags B); A may be PidLastChild
	OpKill                   // kill(pid, sig B); pid is A (may be PidLastChild), or Target's pid in the caller's namespace
	OpWrite                  // write Str to Cg/File
	OpRead                   // read Cg/File
	OpMkdir                  // mkdir Str under Cg
	OpRmdir                  // rmdir Cg
	OpUnshare                // unshare(CLONE_NEWPID)
	OpSetns                  // setns to the pid namespace A, or (A -1) to Target's pid namespace for children
	OpSubreaper              // prctl(PR_SET_CHILD_SUBREAPER, 1)
	OpSigaction              // sigaction(A, disposition B)
	OpSpin                   // a user-mode step that does nothing
	OpWaitCond               // block in user mode until condition A on Cg/Target holds
	OpJump                   // pc = A
	OpJumpIfErr              // if the last call failed with errno A (0: with any errno), pc = B
	OpLoop                   // if R0 < A { R0++; pc = B }
	OpSet                    // R0 = A (starts a counted loop)
	OpReaddir                // getdents64 of the cgroup directory (driven tasks)
	OpPidfdOpen              // pidfd_open(A) (driven tasks)
	OpPidfdSend              // pidfd_send_signal(pidfd of Target, sig B) (driven tasks)
	OpExec                   // execve(2) of program A: de_thread, then A from its start (returns only on failure)
	OpSetpgid                // setpgid(pid, pgid): pid A (0: the caller; PidLastChild), pgid B (0: pid) or Target's pid
	OpSetsid                 // setsid(2)
	OpKillPgrp               // kill(-pgid, sig B): the process group whose id is Target's pid, or A (PidLastChild)
	OpOOM                    // an allocation that runs out of memory in the memcg Path (or Cg); Target the memory hog or NoTask
	OpGetpid                 // getpid(2)
	OpGetppid                // getppid(2)
	OpWaitid                 // waitid(idtype, id, &info, flags B): P_PIDFD of the pidfd in register Fd, else P_PID of pid A (-1: P_ALL)
	OpGetpgid                // getpgid(0)
	OpGetsid                 // getsid(0)
	OpGetSubreaper           // prctl(PR_GET_CHILD_SUBREAPER): the value it stores, as the return value
	OpPidfdInfo              // ioctl(PIDFD_GET_INFO) of the pidfd in register Fd; B 1: with PIDFD_INFO_EXIT
	OpSigprocmask            // rt_sigprocmask(how A, the set in Mask)
	OpPidfdFdinfo            // read /proc/self/fdinfo of the pidfd in register Fd; checks Want (Pid:) and FdinfoNS (NSpid:)
	OpSetPidMax              // write A to /proc/sys/kernel/pid_max (the caller's pid namespace's)
)

var opNames = [...]string{"pause", "exit_group", "exit", "clone", "wait4", "kill", "write", "read",
	"mkdir", "rmdir", "unshare", "setns", "prctl", "sigaction", "spin", "waitcond", "jump", "jump-if-err", "loop", "set", "getdents64", "pidfd_open", "pidfd_send_signal", "execve", "setpgid", "setsid", "kill-pgrp", "oom", "getpid", "getppid", "waitid", "getpgid", "getsid", "prctl-get-subreaper", "pidfd_info", "rt_sigprocmask", "pidfd-fdinfo", "write-pid_max"}

// String names the op.
func (o Op) String() string { return opNames[o] }

// PidLastChild, as the pid (A) of OpKill or OpWait, stands for the pid the
// task's last successful fork returned to it, as the C code
// `pid = fork(); ... kill(pid, SIGKILL); waitpid(pid, ...)` uses it: user
// register R[2], which a successful OpFork sets in the parent (a failed one
// leaves it as it was) and a child inherits from its parent. A task with
// no such fork (R[2] is 0) gets ESRCH from kill and ECHILD from wait,
// rather than the kill(0)/wait4(0) of the caller's process group that a C
// program with pid 0 would make. (The kernel never sees this value: its
// kill_something_info and kernel_wait4 refuse INT_MIN with ESRCH.)
const PidLastChild int32 = math.MinInt32

// PidReg, as a pid argument (A of OpKill, OpWait, OpWaitid, OpPidfdOpen,
// OpSetpgid, OpKillPgrp), stands for the pid held in the named register
// Instr.Reg (`pid: NAME` of a scenario program, where a fork's `as: NAME`
// or getpid's put it). A register that holds none (0) fails as
// PidLastChild does.
const PidReg int32 = math.MinInt32 + 1

// PidTarget, as the pid argument of OpPidfdOpen, stands for the pid of
// Instr.Target as the caller sees it (a task of the scenario's setup).
const PidTarget int32 = math.MinInt32 + 2

// Result checks of an instruction (Instr.Check): what the sim writes into
// the call's log record (Record.Data) for the scenario's expectations and
// for conform to compare with a real run.
const (
	// CheckStatus records a wait's status: for wait4 "exited N",
	// "killed SIG" (with " core" when WCOREDUMP), "stopped SIG",
	// "continued" or "none" (WNOHANG and no child ready); for waitid the
	// siginfo: "CLD_EXITED N", "CLD_KILLED SIG", "CLD_DUMPED SIG",
	// "CLD_STOPPED SIG", "CLD_CONTINUED SIGCONT" or "none" (si_pid 0);
	// for PIDFD_GET_INFO "creds" (the task still exists) or "exit " and
	// the wait4 text of the recorded exit code.
	CheckStatus uint8 = 1 << iota
	// CheckRet records "ret ok" when the call returned the value Want
	// (WantKind says what it is), else "ret N, want M".
	CheckRet
)

// Kinds of Instr.Want.
const (
	WantNumber uint8 = iota // the number Want
	WantReg                 // the pid in named register Want
	WantTask                // the pid of task Want's thread group as the caller sees it (0 if it cannot)
)

// Conditions for OpWaitCond (what a poller of cgroup.events or a pidfd
// would be woken by).
const (
	CondUnpopulated = iota // Cg's cgroup.events says "populated 0"
	CondFrozen             // Cg's cgroup.events says "frozen 1"
	// CondTaskGone: a pidfd of Target polls readable (model.PidfdReadable:
	// pidfd_poll): Target is released, or a zombie whose thread group has
	// exited; a leader that exited while other threads run does not count.
	CondTaskGone
	CondPopulated // Cg is populated
	// CondForkPastCanFork: Target is in a fork past cgroup_can_fork, or has
	// forked (used to restrict a world to one class of interleavings).
	CondForkPastCanFork
	// CondProcs: Cg's cgroup.procs lists at least B processes (the
	// selftests' cg_wait_for_proc_count).
	CondProcs
	// CondZombie: Target itself has exited (exit_state set: its
	// /proc/PID/stat state is Z or X, or it is gone), even while other
	// threads of its group run (a leader after pthread_exit).
	CondZombie
	// CondStopped: Target is in a group stop (TASK_STOPPED: T in
	// /proc/PID/stat).
	CondStopped
)

// Instr is one instruction.
type Instr struct {
	Op     Op
	A, B   int32
	Cg     model.CgroupID
	File   model.CgroupFile
	Str    string
	Target model.TaskID
	// Path, if set, names the cgroup instead of Cg: it is resolved when the
	// call is issued, as a program opens a cgroup file by path (a missing
	// cgroup fails the call with ENOENT). For mkdir it is the new
	// cgroup's path.
	Path string
	// Label, if set, records the call's result in World.Log under this name.
	Label string
	// labelID is Label interned by World.AddProgram (-1 for none).
	labelID int32
	// C is a third operand: pidfd_send_signal's flags, pidfd_open's.
	C int32
	// Reg is the named register (index + 1; 0 for none) a PidReg pid
	// argument reads; Fd the one holding the pidfd of OpPidfdSend,
	// OpWaitid (P_PIDFD) and an await of CondTaskGone.
	Reg, Fd int8
	// Out is the named register (index + 1) the call's result goes to when
	// it succeeds: the pid a fork or getpid returned, the pidfd
	// pidfd_open returned. PidfdOut is the register of a fork's
	// CLONE_PIDFD pidfd.
	Out, PidfdOut int8
	// Check, Want and WantKind: the result checks (CheckStatus,
	// CheckRet) recorded in the call's log record.
	Check    uint8
	WantKind uint8
	Want     int32
	// SetTid is a fork's clone3 set_tid (innermost namespace first, 0
	// past the end); SetTidReg[i], if set, names the register whose pid
	// stands for SetTid[i] (index + 1).
	SetTid    [model.MaxSetTid]int32
	SetTidReg [model.MaxSetTid]int8
	// ExitSignal is a fork's clone3 exit_signal, as the 64-bit value the
	// program passes, when HasExitSignal.
	ExitSignal    uint64
	HasExitSignal bool
	// Mask is OpSigprocmask's signal set.
	Mask model.Sigset
	// FdinfoNS is the NSpid: line an OpPidfdFdinfo must read (FdinfoNSReg
	// names pid registers in place of numbers, index + 1), its Pid: line
	// being Want (WantReg: a register).
	FdinfoNS    []int32
	FdinfoNSReg []int8
}

// Program is a named list of instructions. Programs are immutable once
// added to a World and are shared by its clones.
type Program struct {
	Name string
	Code []Instr
}

func (in Instr) isSyscall() bool { return in.Op.isSyscall() }

// isSyscall reports whether an instruction of op is a system call.
func (op Op) isSyscall() bool {
	switch op {
	case OpSpin, OpWaitCond, OpJump, OpJumpIfErr, OpLoop, OpSet:
		return false
	}
	return true
}

// String renders the instruction for traces.
func (in Instr) String() string {
	switch in.Op {
	case OpFork:
		return fmt.Sprintf("clone(flags %#x) child@%d", in.A, in.B)
	case OpWrite:
		return fmt.Sprintf("write(%q) cgroup %d %s", in.Str, in.Cg, in.File)
	case OpKill:
		if in.A == PidLastChild {
			return fmt.Sprintf("kill(child, %s)", model.Signal(in.B))
		}
		return fmt.Sprintf("kill(%d, %s)", in.A, model.Signal(in.B))
	case OpWait:
		if in.A == PidLastChild {
			return "wait4(child)"
		}
		return fmt.Sprintf("wait4(%d)", in.A)
	}
	return in.Op.String()
}

// Builders for the built-in programs. Each returns the code; the caller
// adds it with World.AddProgram.

// PauseForever is `for (;;) pause();`.
func PauseForever() []Instr {
	return []Instr{{Op: OpPause}, {Op: OpJump, A: 0}}
}

// ExitWith is `exit(code);`.
func ExitWith(code int32) []Instr { return []Instr{{Op: OpExitGroup, A: code}} }

// ForkOnceThenPause is `fork(); for (;;) pause();` in parent and child.
func ForkOnceThenPause(label string) []Instr {
	return []Instr{
		{Op: OpFork, B: 1, Label: label},
		{Op: OpPause}, {Op: OpJump, A: 1},
	}
}

// ForkBomb is `for (;;) fork();`: parent and child both loop forking; a
// failed fork is retried (the pids.max case). label names the fork's
// results in the log ("" for none).
func ForkBomb(label string) []Instr {
	return []Instr{{Op: OpFork, B: 0, Label: label}, {Op: OpJump, A: 0}}
}

// SpawnN forks n children that pause forever, then pauses.
func SpawnN(n int32) []Instr {
	return []Instr{
		{Op: OpLoop, A: n, B: 2},
		{Op: OpJump, A: 4},
		{Op: OpFork, B: 5},
		{Op: OpJump, A: 0},
		{Op: OpPause}, // 4: parent
		{Op: OpPause}, // 5: child
		{Op: OpJump, A: 5},
	}
}

// SpawnThreads creates n threads that pause forever, then pauses.
func SpawnThreads(n int32) []Instr {
	fl := int32(model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM)
	return []Instr{
		{Op: OpLoop, A: n, B: 2},
		{Op: OpJump, A: 4},
		{Op: OpFork, A: fl, B: 5},
		{Op: OpJump, A: 0},
		{Op: OpPause}, {Op: OpJump, A: 4}, // 4: main thread
	}
}

// ReapForever is an init: `for (;;) { while (wait(-1) > 0); pause(); }`
// with a SIGCHLD handler so that pause wakes for new zombies.
func ReapForever() []Instr {
	return []Instr{
		{Op: OpSigaction, A: int32(model.SIGCHLD), B: int32(model.HandlerReturn)},
		{Op: OpWait, A: -1, B: int32(model.WALL)}, // 1
		{Op: OpJumpIfErr, A: int32(model.ECHILD), B: 4},
		{Op: OpJump, A: 1},
		{Op: OpPause}, // 4
		{Op: OpJump, A: 1},
	}
}

// IgnoreSIGCHLDThenPause is an init that lets the kernel autoreap its
// children (SIGCHLD set to SIG_IGN), then sleeps.
func IgnoreSIGCHLDThenPause() []Instr {
	return []Instr{
		{Op: OpSigaction, A: int32(model.SIGCHLD), B: int32(model.SigIgnore)},
		{Op: OpPause}, {Op: OpJump, A: 1},
	}
}

// WriteThenExit writes value to cg/file (labelled), then exits 0.
func WriteThenExit(cg model.CgroupID, file model.CgroupFile, value, label string) []Instr {
	return []Instr{{Op: OpWrite, Cg: cg, File: file, Str: value, Label: label}, {Op: OpExitGroup, A: 0}}
}

// WriteThenPause writes value to cg/file (labelled), then pauses forever.
func WriteThenPause(cg model.CgroupID, file model.CgroupFile, value, label string) []Instr {
	return []Instr{{Op: OpWrite, Cg: cg, File: file, Str: value, Label: label}, {Op: OpPause}, {Op: OpJump, A: 1}}
}

// UnshareForkInit is `unshare(CLONE_NEWPID); fork();` — the child is pid 1
// of the new namespace and runs childPC; the parent then runs on (the
// pid_namespace selftest regression_enomem starts this way). label names
// the fork's result.
func UnshareForkInit(childPC int32, label string) []Instr {
	return []Instr{{Op: OpUnshare}, {Op: OpFork, B: childPC, Label: label}}
}
