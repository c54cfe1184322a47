package killer

import (
	"fmt"
	"strings"

	"cgsim/model"
	"cgsim/sim"
)

// A Race is a machine built to defeat some killers: a target cgroup, the
// tasks that race the killer, and where the killer runs. The classes are
// those of userspace-killers.md §9.
type Race struct {
	Name    string
	Teaches string
	// Seeds and MaxSteps, if set, lower the campaign's for this race (a
	// fork bomb that escapes runs to the step limit).
	Seeds    uint64
	MaxSteps int
	// Build makes the machine with the killer's task driven by k.
	Build func(o model.Options, k Killer) (*Machine, error)
}

// Machine is a race's world with what classification needs.
type Machine struct {
	W      *sim.World
	Killer model.TaskID
	Target model.CgroupID
}

// bench is a machine under construction: init (SIGCHLD ignored, so the
// kernel reaps its children) and the cgroups.
type bench struct {
	w    *sim.World
	init model.TaskID
	cgs  map[string]model.CgroupID
	err  error
	// placed lists the tasks spawned into a cgroup, with its path: the
	// first one in the target is the service's "main process".
	placed []placed
}

type placed struct {
	t    model.TaskID
	path string
}

func newBench(o model.Options, paths ...string) *bench {
	b := &bench{w: sim.NewWorld(o), cgs: map[string]model.CgroupID{"/": model.RootCG}}
	b.init = b.w.Init("init", b.w.AddProgram("init", sim.IgnoreSIGCHLDThenPause()))
	b.w.Settle(b.init, 10)
	for _, p := range paths {
		b.mkdir(p)
	}
	return b
}

func (b *bench) mkdir(path string) model.CgroupID {
	if b.err != nil {
		return model.NoCgroup
	}
	i := len(path) - 1
	for path[i] != '/' {
		i--
	}
	parent := "/"
	if i > 0 {
		parent = path[:i]
	}
	cg, err := b.w.Mkdir(b.init, b.cgs[parent], path[i+1:])
	b.cgs[path] = cg
	b.err = err
	return cg
}

func (b *bench) write(path string, f model.CgroupFile, v string) {
	if b.err == nil {
		b.err = b.w.Write(b.init, b.cgs[path], f, v)
	}
}

// spawn forks a task of parent into cgroup (by path; "" for the parent's)
// running code.
func (b *bench) spawn(parent model.TaskID, name, cgroup string, flags uint32, code []sim.Instr) model.TaskID {
	if b.err != nil {
		return model.NoTask
	}
	cg := model.NoCgroup
	if cgroup != "" {
		cg = b.cgs[cgroup]
		flags |= model.CLONE_INTO_CGROUP
	}
	t, err := b.w.Spawn(parent, name, b.w.AddProgram(name, code), flags, cg)
	b.err = err
	if err == nil && cgroup != "" {
		b.placed = append(b.placed, placed{t, cgroup})
	}
	return t
}

// killer adds the killer's task, born in cgroup ("" for the root), and
// returns the machine.
func (b *bench) killer(k Killer, cgroup string, target Target, warmup int) (*Machine, error) {
	kt := b.spawn(b.init, "killer", cgroup, 0, sim.PauseForever())
	if b.err != nil {
		return nil, b.err
	}
	for _, p := range b.placed {
		if p.t != kt && (p.path == target.Cgroup || strings.HasPrefix(p.path, target.Cgroup+"/")) {
			target.MainPid = b.w.K.PidIn(p.t, model.RootNS)
			break
		}
	}
	// The target's processes form one process group led by the main
	// process, as a shell makes a job: the main process calls
	// setpgid(0, 0), the others join it (setpgid(0, pgid)); those that
	// cannot see it (another pid namespace) stay where they are.
	for _, p := range b.placed {
		if target.MainPid == 0 || p.t == kt || !(p.path == target.Cgroup || strings.HasPrefix(p.path, target.Cgroup+"/")) {
			continue
		}
		k := b.w.K
		pgid := k.PidIn(k.FindTask(model.RootNS, target.MainPid), k.Task(p.t).NS)
		if pgid == 0 {
			continue
		}
		if k.PidIn(p.t, k.Task(p.t).NS) == pgid {
			pgid = 0
		}
		_, _ = b.w.Call(p.t, func(k *model.Kernel) { k.Setpgid(p.t, 0, pgid) })
	}
	Drive(b.w, kt, k, target, warmup)
	return &Machine{W: b.w, Killer: kt, Target: b.cgs[target.Cgroup]}, nil
}

// Programs of the racing tasks.
var (
	pause = sim.PauseForever()
	// forkOnce spins a little (so the fork can fall anywhere in the
	// killer's run), forks once, and both sides sleep.
	forkOnce = []sim.Instr{
		{Op: sim.OpSpin}, {Op: sim.OpSpin},
		{Op: sim.OpFork, B: 3}, {Op: sim.OpPause}, {Op: sim.OpJump, A: 3},
	}
)

// Races lists the race classes, in the order of the matrix.
var Races = []Race{
	{
		Name: "fork-during-snapshot",
		Teaches: "A task in /t forks once while the killer runs. A killer that reads cgroup.procs once and " +
			"then signals the pids misses a child forked after its read; a loop that re-reads sees it.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t")
			b.spawn(b.init, "forker", "/t", 0, forkOnce)
			return b.killer(k, "", Target{Cgroup: "/t"}, 0)
		},
	},
	{
		Name: "fork-bomb-small-pid-space",
		Teaches: "pid_max is 24 and /t holds a fork bomb: every process forks again and again, and the numbers " +
			"of killed and reaped children come back at once. A killer that keeps a done set of pid numbers " +
			"skips a new process that got a number it already signalled; a loop may not finish while the bomb " +
			"outpaces it; each SIGKILLed process can no longer fork. Runs stop after 3,000 steps, 30 seeds.",
		Seeds:    30,
		MaxSteps: 3000,
		Build: func(o model.Options, k Killer) (*Machine, error) {
			o.PidMax = 24
			b := newBench(o, "/t")
			b.spawn(b.init, "bomb", "/t", 0, sim.ForkBomb(""))
			return b.killer(k, "", Target{Cgroup: "/t"}, 4)
		},
	},
	{
		Name: "pid-reuse-outside",
		Teaches: "pid_max is 10. Four sleepers and a task that soon exits live in /t; a task outside the " +
			"target forks while pids are exhausted and keeps trying, so the number the exiting task frees goes to a stranger. A killer that signals a number " +
			"read earlier (kill(2)), or pins it with pidfd_open only after the exit, hits the stranger (Nomad#17960).",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			o.PidMax = 10
			b := newBench(o, "/t")
			for i := 1; i <= 4; i++ {
				b.spawn(b.init, fmt.Sprintf("sleeper%d", i), "/t", 0, pause)
			}
			spin := make([]sim.Instr, 6, 7)
			for i := range spin {
				spin[i] = sim.Instr{Op: sim.OpSpin}
			}
			b.spawn(b.init, "short-lived", "/t", 0, append(spin, sim.Instr{Op: sim.OpExitGroup}))
			// The spawner forks two sleeping children, retrying while pids
			// are exhausted: the first gets the last free number, the
			// second the number the exiting task frees.
			b.spawn(b.init, "spawner", "", 0, []sim.Instr{
				{Op: sim.OpLoop, A: 2, B: 2}, {Op: sim.OpJump, A: 5},
				{Op: sim.OpFork, B: 7}, {Op: sim.OpJumpIfErr, A: int32(model.EAGAIN), B: 2}, {Op: sim.OpJump, A: 0},
				{Op: sim.OpPause}, {Op: sim.OpJump, A: 5},
				{Op: sim.OpPause}, {Op: sim.OpJump, A: 7},
			})
			return b.killer(k, "", Target{Cgroup: "/t"}, 4)
		},
	},
	{
		Name: "migration-into-visited",
		Teaches: "/t/a and /t/b; a task in /t/b moves itself into /t/a (a delegated subtree may). A walk that " +
			"has finished /t/a before the move and reaches /t/b after it never sees the task. " +
			"cgroup.kill holds cgroup_mutex, which excludes migration.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t", "/t/a", "/t/b")
			b.spawn(b.init, "stay", "/t/a", 0, pause)
			b.spawn(b.init, "mover", "/t/b", 0, []sim.Instr{
				{Op: sim.OpSpin}, {Op: sim.OpSpin}, {Op: sim.OpSpin},
				{Op: sim.OpWrite, Path: "/t/a", File: model.FileProcs, Str: "0"},
				{Op: sim.OpPause}, {Op: sim.OpJump, A: 4},
			})
			return b.killer(k, "", Target{Cgroup: "/t"}, 0)
		},
	},
	{
		Name: "zombie-leader",
		Teaches: "The main thread of a process in /t has exited (pthread_exit) and another thread runs. " +
			"cgroup.kill signals the zombie leader only and the process survives (confirmed on 6.18, " +
			"docs/kernel-probes.md Q2); kill(2) and pidfd_send_signal of the pid are group-wide and work.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t")
			fl := int32(model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM)
			b.spawn(b.init, "proc", "/t", 0, []sim.Instr{
				{Op: sim.OpFork, A: fl, B: 2}, {Op: sim.OpExit},
				{Op: sim.OpPause}, {Op: sim.OpJump, A: 2},
			})
			return b.killer(k, "", Target{Cgroup: "/t"}, 8)
		},
	},
	{
		Name: "exec-during-kill",
		Teaches: "A thread of a process in /t execs while the killer runs: de_thread SIGKILLs the leader " +
			"(zap_other_threads) and the exec'ing thread takes over the leader's pid only once the leader is a " +
			"zombie. cgroup.kill meets a leader with SIGKILL pending (skipped) or a zombie, and never yields the " +
			"exec'ing thread, which is no leader yet: the process survives in its new program (reproduced on " +
			"6.18, `simrun hunt exec-vs-kill`). kill(2) of the pid is group-wide: it reaches the exec'ing thread, " +
			"whose de_thread fails, and the process dies.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t")
			img := b.w.AddProgram("image", sim.PauseForever())
			fl := int32(model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM)
			b.spawn(b.init, "proc", "/t", 0, []sim.Instr{
				{Op: sim.OpFork, A: fl, B: 3},
				{Op: sim.OpPause}, {Op: sim.OpJump, A: 1},
				{Op: sim.OpExec, A: img},
			})
			return b.killer(k, "", Target{Cgroup: "/t"}, 2)
		},
	},
	{
		Name: "kthread-in-target",
		Teaches: "A movable kernel thread sits in /t with a user task. Every killer skips or cannot kill it, so " +
			"the cgroup stays populated: killers that wait for empty or remove the cgroup give up with EBUSY, " +
			"though \"empty except kernel threads\" holds.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t")
			kt := b.w.Kthread("kworker", true)
			if b.err == nil {
				b.err = b.w.Move(b.init, kt, b.cgs["/t"])
			}
			b.spawn(b.init, "user", "/t", 0, pause)
			return b.killer(k, "", Target{Cgroup: "/t"}, 0)
		},
	},
	{
		Name: "killer-inside-target",
		Teaches: "The killer itself lives in /t. cgroup.kill kills the writer too; systemd's IGNORE_SELF skips " +
			"itself; a freezer killer freezes itself and never runs again, which is why Nomad moved its executor " +
			"out first.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t")
			b.spawn(b.init, "worker", "/t", 0, pause)
			return b.killer(k, "/t", Target{Cgroup: "/t"}, 0)
		},
	},
	{
		Name: "threaded-target",
		Teaches: "The target /d/t is a threaded cgroup holding a process. cgroup.kill and reads of cgroup.procs " +
			"fail with EOPNOTSUPP there; runc falls back to cgroup.threads.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/d", "/d/t")
			b.write("/d/t", model.FileType, "threaded")
			b.spawn(b.init, "proc", "/d/t", 0, pause)
			return b.killer(k, "", Target{Cgroup: "/d/t"}, 0)
		},
	},
	{
		Name: "private-pidns-outsider",
		Teaches: "The container /t has its own pid namespace (cinit, a worker) and also holds \"visitor\", a " +
			"host task that joined the cgroup but not the namespace. Killing the init zaps the namespace only; " +
			"the visitor survives and /t stays populated. The runtimes that kill the init are told " +
			"its pid.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t")
			cinit := b.spawn(b.init, "cinit", "/t", model.CLONE_NEWPID, pause)
			b.spawn(cinit, "worker", "", 0, pause)
			b.spawn(b.init, "visitor", "/t", 0, pause)
			for _, t := range []model.TaskID{cinit} {
				if b.err == nil {
					b.w.Settle(t, 4)
				}
			}
			if b.err != nil {
				return nil, b.err
			}
			return b.killer(k, "", Target{Cgroup: "/t", InitPid: b.w.K.PidIn(cinit, model.RootNS)}, 0)
		},
	},
	{
		Name: "rmdir-after-kill",
		Teaches: "/t holds three sleepers. cgroup.kill returns before they have exited, so an rmdir right " +
			"after it fails with EBUSY; a killer that drops that error leaks the cgroup.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t")
			for i := 1; i <= 3; i++ {
				b.spawn(b.init, fmt.Sprintf("sleeper%d", i), "/t", 0, pause)
			}
			return b.killer(k, "", Target{Cgroup: "/t"}, 0)
		},
	},
	{
		Name: "freeze-not-awaited",
		Teaches: "A task in /t forks four times in a row. A killer that writes cgroup.freeze and reads cgroup.procs " +
			"without waiting for \"frozen 1\" can read while a fork is in flight; the child, born frozen but not " +
			"in the snapshot, runs again after the thaw.",
		Build: func(o model.Options, k Killer) (*Machine, error) {
			b := newBench(o, "/t")
			// The forker forks four times, as fast as it can; every child sleeps.
			b.spawn(b.init, "forker", "/t", 0, []sim.Instr{
				{Op: sim.OpLoop, A: 4, B: 2}, {Op: sim.OpJump, A: 4},
				{Op: sim.OpFork, B: 6}, {Op: sim.OpJump, A: 0},
				{Op: sim.OpPause}, {Op: sim.OpJump, A: 4},
				{Op: sim.OpPause}, {Op: sim.OpJump, A: 6},
			})
			return b.killer(k, "", Target{Cgroup: "/t"}, 0)
		},
	},
}

// Killers lists the killers, in the order of the matrix.
var Killers = []Killer{
	CgroupKill, Naive, SystemdCgKill, SystemdCgKillOld, SystemdStop, SystemdStopMixed, SystemdStopProcess, SystemctlKill,
	NomadV1, NomadGroupKiller, NomadV2, Runc, RuncFallback, Crun, CrunFallback, Kubelet, Mesos,
	JobControl, Broadcast, Tini, TiniGroup,
}
