package sim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// machine is a small builder for single-scenario tests: a global init
// that ignores SIGCHLD (the kernel reaps its children) and helpers.
type machine struct {
	t     *testing.T
	w     *sim.World
	init  model.TaskID
	pause int32
}

func newMachine(t *testing.T, opts model.Options) *machine {
	w := sim.NewWorld(opts)
	init := w.Init("init", w.AddProgram("init", sim.IgnoreSIGCHLDThenPause()))
	w.Settle(init, 10)
	w.CheckInvariants = true
	return &machine{t: t, w: w, init: init, pause: w.AddProgram("pause", sim.PauseForever())}
}

func (m *machine) mkdir(parent model.CgroupID, name string) model.CgroupID {
	c, err := m.w.Mkdir(m.init, parent, name)
	require.NoError(m.t, err)
	return c
}

func (m *machine) spawn(parent model.TaskID, name string, prog int32, flags uint32, cg model.CgroupID) model.TaskID {
	c, err := m.w.Spawn(parent, name, prog, flags, cg)
	require.NoError(m.t, err)
	return c
}

func (m *machine) sleeper(parent model.TaskID, name string, cg model.CgroupID) model.TaskID {
	t := m.spawn(parent, name, m.pause, model.CLONE_INTO_CGROUP, cg)
	m.w.Settle(t, 5)
	return t
}

// run replays the default schedule to quiescence and returns the world.
func (m *machine) run() *sim.World {
	fw, res := sim.Replay(m.w, nil, 100000)
	require.Empty(m.t, res.Violation)
	require.True(m.t, res.Final, "did not reach quiescence")
	return fw
}

func alive(w *sim.World, t model.TaskID) bool { return w.K.Alive(t) }

func diedOf(w *sim.World, t model.TaskID, sig model.Signal) bool {
	return !w.K.Alive(t) && w.K.Task(t).ExitCode == int32(sig)
}

func TestKillFromInsidePidNamespace(t *testing.T) {
	// A container: cinit is pid 1 of its own namespace, in cgroup /ct,
	// with a worker. Written from inside the namespace, cgroup.kill does
	// not kill cinit (SEND_SIG_NOINFO from a sender visible in the
	// namespace is not forced; SIGNAL_UNKILLABLE drops it); written from
	// the host it does, and cinit's death zaps the namespace
	// (kernel-semantics.md 1.8; probe kill_pidns_writer.c).
	for _, fromHost := range []bool{false, true} {
		t.Run(fmt.Sprintf("from-host=%v", fromHost), func(t *testing.T) {
			m := newMachine(t, model.DefaultOptions())
			ct := m.mkdir(model.RootCG, "ct")
			cinit := m.spawn(m.init, "cinit", m.pause, model.CLONE_NEWPID|model.CLONE_INTO_CGROUP, ct)
			m.w.Settle(cinit, 5)
			other := m.sleeper(cinit, "other", ct)
			kill := m.w.AddProgram("kill", sim.WriteThenPause(ct, model.FileKill, "1", "kill"))
			var writer model.TaskID
			if fromHost {
				writer = m.spawn(m.init, "writer", kill, 0, model.NoCgroup)
			} else {
				outside := m.mkdir(model.RootCG, "other")
				writer = m.spawn(cinit, "writer", kill, model.CLONE_INTO_CGROUP, outside)
			}
			w := m.run()
			r := w.Records("kill")
			require.Len(t, r, 1)
			require.Equal(t, model.OK, r[0].Err)
			require.True(t, diedOf(w, other, model.SIGKILL))
			if fromHost {
				require.True(t, diedOf(w, cinit, model.SIGKILL), "host cgroup.kill kills the container init")
				require.True(t, diedOf(w, writer, model.SIGKILL) == false && alive(w, writer))
			} else {
				require.True(t, alive(w, cinit), "cgroup.kill from inside the namespace leaves its init alive")
				require.Zero(t, w.K.Task(cinit).Pending, "nothing pending on init")
			}
		})
	}
}

func TestKillKthreadSurvives(t *testing.T) {
	// A movable kthread written into the cgroup survives cgroup.kill, the
	// cgroup stays populated and rmdir gives EBUSY (SEED-KILL).
	m := newMachine(t, model.DefaultOptions())
	test := m.mkdir(model.RootCG, "test")
	kt := m.w.Kthread("kworker", true)
	require.NoError(t, m.w.Move(m.init, kt, test))
	user := m.sleeper(m.init, "user", test)
	kill := m.w.AddProgram("kill", []sim.Instr{
		{Op: sim.OpWrite, Cg: test, File: model.FileKill, Str: "1", Label: "kill"},
		{Op: sim.OpRmdir, Cg: test, Label: "rmdir"},
		{Op: sim.OpRead, Cg: test, File: model.FileEvents, Label: "events"},
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 3},
	})
	m.spawn(m.init, "writer", kill, 0, model.NoCgroup)
	w := m.run()
	require.True(t, diedOf(w, user, model.SIGKILL))
	require.True(t, alive(w, kt))
	require.True(t, w.K.Populated(test))
	require.Equal(t, model.EBUSY, w.Records("rmdir")[0].Err)
	require.Equal(t, "populated 1\nfrozen 0\n", w.Records("events")[0].Data)
	// And the kthread cannot be killed by a signal either.
	require.Zero(t, w.K.Task(kt).Pending)
}

func TestKillWriterInsideDiesAfterWrite(t *testing.T) {
	// The writer is inside the cgroup it kills: the write returns the byte
	// count, then the task dies of the SIGKILL before its next
	// instruction (probe kill_self_writer.c).
	m := newMachine(t, model.DefaultOptions())
	test := m.mkdir(model.RootCG, "test")
	kill := m.w.AddProgram("kill", []sim.Instr{
		{Op: sim.OpWrite, Cg: test, File: model.FileKill, Str: "1", Label: "kill"},
		{Op: sim.OpMkdir, Cg: model.RootCG, Str: "never", Label: "after"},
	})
	writer := m.spawn(m.init, "writer", kill, model.CLONE_INTO_CGROUP, test)
	w := m.run()
	r := w.Records("kill")
	require.Len(t, r, 1)
	require.Equal(t, model.OK, r[0].Err)
	require.EqualValues(t, 1, r[0].Ret)
	require.True(t, diedOf(w, writer, model.SIGKILL))
	require.Empty(t, w.Records("after"), "no user code after the write")
	require.False(t, w.K.Populated(test))
}

func TestKillFrozenCgroup(t *testing.T) {
	// Freeze a cgroup of three sleepers, wait for "frozen 1", kill it: all
	// die, the cgroup is empty and, empty and freezing, still reads frozen 1
	// (probe kill_frozen.c).
	m := newMachine(t, model.DefaultOptions())
	test := m.mkdir(model.RootCG, "test")
	var victims []model.TaskID
	for i := 0; i < 3; i++ {
		victims = append(victims, m.sleeper(m.init, fmt.Sprintf("v%d", i), test))
	}
	prog := m.w.AddProgram("freeze-kill", []sim.Instr{
		{Op: sim.OpWrite, Cg: test, File: model.FileFreeze, Str: "1", Label: "freeze"},
		{Op: sim.OpWaitCond, A: sim.CondFrozen, Cg: test},
		{Op: sim.OpWrite, Cg: test, File: model.FileKill, Str: "1", Label: "kill"},
		{Op: sim.OpWaitCond, A: sim.CondUnpopulated, Cg: test},
		{Op: sim.OpRead, Cg: test, File: model.FileEvents, Label: "events"},
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 5},
	})
	m.spawn(m.init, "operator", prog, 0, model.NoCgroup)
	w := m.run()
	for _, v := range victims {
		require.True(t, diedOf(w, v, model.SIGKILL))
	}
	require.Equal(t, "populated 0\nfrozen 1\n", w.Records("events")[0].Data)
}

func forkBomb(t *testing.T, opts model.Options) (*sim.World, model.CgroupID) {
	t.Helper()
	w, err := scenarios.ForkBomb(opts)
	require.NoError(t, err)
	bomb, _ := w.K.Lookup("/bomb")
	return w, bomb
}

func TestPidsMaxStopsForkBomb(t *testing.T) {
	// pids.max = 8: the bomb never has more than 8 tasks charged and its
	// forks fail with EAGAIN (test_pids.c pids_max); pids.events counts
	// them. Under kill=atomic, cgroup.kill then contains it on every seed.
	for seed := uint64(1); seed <= 20; seed++ {
		w, bomb := forkBomb(t, optsWith(model.KillAtomic))
		res := explore.Random(w, seed, 20000)
		require.Empty(t, res.Violation, "seed %d", seed)
		require.True(t, res.Final, "seed %d", seed)
		fw, _ := sim.Replay(w, res.Schedule, 20000)
		eagain := 0
		for _, r := range fw.Records("fork") {
			if r.Err == model.EAGAIN {
				eagain++
			}
		}
		require.Positive(t, eagain, "seed %d: the bomb hit pids.max", seed)
		require.Positive(t, fw.K.Cgroup(bomb).PidsEventsMax)
	}
}

func TestForkBombEscapesKillSeq(t *testing.T) {
	// A fork bomb held at pids.max keeps forks in flight all the time, so
	// random schedules hit the kill_seq windows (1.7 and the
	// css_task_iter_next/send_sig gap) that exhaustive search finds for
	// one forker: under kill=seq some seeds leave bomb tasks alive after
	// cgroup.kill returned. With both candidate fixes none of them do.
	fixed := optsWith(model.KillSeq)
	fixed.PostForkKillIfParentKilled = true
	fixed.KillSignalUnderCssSetLock = true
	escapes := 0
	var first uint64
	const seeds = 100
	for seed := uint64(1); seed <= seeds; seed++ {
		w, _ := forkBomb(t, optsWith(model.KillSeq))
		res := explore.Random(w, seed, 20000)
		if res.Violation != "" {
			require.Contains(t, res.Violation, "empty-after-kill")
			if escapes == 0 {
				first = seed
			}
			escapes++
		}
		wf, _ := forkBomb(t, fixed)
		require.Empty(t, explore.Random(wf, seed, 20000).Violation, "seed %d with both fixes", seed)
	}
	t.Logf("kill=seq: the fork bomb escaped cgroup.kill on %d of %d seeds (first: seed %d)", escapes, seeds, first)
	require.Positive(t, escapes)
}

func TestKillZombieLeader(t *testing.T) {
	// A process whose main thread has exited (pthread_exit) while another
	// thread lives: cgroup.procs lists the zombie leader; cgroup.kill's
	// PROCS iteration yields that leader and send_sig(SIGKILL, leader, 0)
	// is PIDTYPE_PID delivery to a PF_EXITING task, for which
	// complete_signal returns without a group kill (kernel-semantics.md
	// 1.3, 3.3). The live thread survives and the cgroup stays populated;
	// the probe kill_zombie_leader.c saw exactly this on 6.18. A kill(2)
	// of the process (group delivery) does take it down.
	m := newMachine(t, model.DefaultOptions())
	test := m.mkdir(model.RootCG, "test")
	fl := int32(model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM)
	prog := m.w.AddProgram("zombie-leader", []sim.Instr{
		{Op: sim.OpFork, A: fl, B: 2}, // spawn a thread that sleeps
		{Op: sim.OpExit, A: 0},        // the main thread exits alone
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 2},
	})
	leader := m.spawn(m.init, "proc", prog, model.CLONE_INTO_CGROUP, test)
	op := m.w.AddProgram("operator", []sim.Instr{
		{Op: sim.OpWaitCond, A: sim.CondZombie, Target: leader},
		{Op: sim.OpRead, Cg: test, File: model.FileProcs, Label: "procs"},
		{Op: sim.OpRead, Cg: test, File: model.FileThreads, Label: "threads"},
		{Op: sim.OpWrite, Cg: test, File: model.FileKill, Str: "1", Label: "kill"},
		{Op: sim.OpRead, Cg: test, File: model.FileEvents, Label: "events"},
		{Op: sim.OpKill, Target: leader, B: int32(model.SIGKILL), Label: "kill(2)"},
		{Op: sim.OpWaitCond, A: sim.CondUnpopulated, Cg: test},
		{Op: sim.OpRead, Cg: test, File: model.FileEvents, Label: "events-after"},
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 8},
	})
	m.spawn(m.init, "operator", op, 0, model.NoCgroup)
	w := m.run()
	thread := model.NoTask
	for i := 0; i < w.K.NumTasks(); i++ {
		if tk := w.K.Task(model.TaskID(i)); model.TaskID(i) != leader && tk.Group == w.K.Task(leader).Group {
			thread = model.TaskID(i)
		}
	}
	lpid, tpid := w.K.PidIn(leader, model.RootNS), w.K.PidIn(thread, model.RootNS)
	require.Equal(t, fmt.Sprintf("%d\n", lpid), w.Records("procs")[0].Data, "cgroup.procs lists the zombie leader")
	require.Equal(t, fmt.Sprintf("%d\n", tpid), w.Records("threads")[0].Data, "cgroup.threads lists only the live thread")
	require.Equal(t, model.OK, w.Records("kill")[0].Err)
	require.Equal(t, "populated 1\nfrozen 0\n", w.Records("events")[0].Data, "cgroup.kill left the live thread running")
	require.Equal(t, model.OK, w.Records("kill(2)")[0].Err)
	require.Equal(t, "populated 0\nfrozen 0\n", w.Records("events-after")[0].Data)
	require.NotZero(t, w.K.Cover&model.CovKillZombieLeader)
}

func TestKillTree(t *testing.T) {
	// test_kill.c test_cgkill_tree: A with children B (C, D), E (F (G (H))),
	// I and K; one process in C, one in H, three in K; writing A's
	// cgroup.kill kills all five. The walk is pre-order (cgroup_kill →
	// cgroup_for_each_live_descendant_pre): A, B, C, D, E, F, G, H, I, K.
	m := newMachine(t, model.DefaultOptions())
	a := m.mkdir(model.RootCG, "A")
	b := m.mkdir(a, "B")
	c := m.mkdir(b, "C")
	m.mkdir(b, "D")
	e := m.mkdir(a, "E")
	f := m.mkdir(e, "F")
	g := m.mkdir(f, "G")
	h := m.mkdir(g, "H")
	m.mkdir(a, "I")
	kc := m.mkdir(a, "K")
	victims := []model.TaskID{m.sleeper(m.init, "c", c), m.sleeper(m.init, "h", h)}
	for i := 0; i < 3; i++ {
		victims = append(victims, m.sleeper(m.init, fmt.Sprintf("k%d", i), kc))
	}
	m.spawn(m.init, "writer", m.w.AddProgram("kill", sim.WriteThenPause(a, model.FileKill, "1", "kill")), 0, model.NoCgroup)
	w := m.run()
	for _, v := range victims {
		require.True(t, diedOf(w, v, model.SIGKILL), "%s", w.Describe(v))
	}
	require.False(t, w.K.Populated(a))
	var order []string
	for _, ev := range w.Trace() {
		for _, what := range ev.What {
			if strings.HasSuffix(what, " kill_seq 1") {
				order = append(order, strings.TrimSuffix(what, " kill_seq 1"))
			}
		}
	}
	require.Equal(t, []string{"/A", "/A/B", "/A/B/C", "/A/B/D", "/A/E", "/A/E/F", "/A/E/F/G", "/A/E/F/G/H", "/A/I", "/A/K"}, order)
}
