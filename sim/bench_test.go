package sim_test

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// BenchmarkExhaustiveForkKill explores the race catalogue's world (kill=
// atomic, 3 forking tasks: the largest acceptance search) and reports
// states per second, time per transition and heap bytes allocated per
// state.
func BenchmarkExhaustiveForkKill(b *testing.B) {
	for _, c := range []struct {
		name    string
		kill    model.KillMode
		forkers int
	}{{"atomic-3", model.KillAtomic, 3}, {"seq-1", model.KillSeq, 1}} {
		b.Run(c.name, func(b *testing.B) {
			var states, transitions, visited int
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			for i := 0; i < b.N; i++ {
				w, _ := sim.ForkVsKill(optsWith(c.kill), c.forkers)
				if c.kill == model.KillSeq {
					restrictKillAfterSnapshot(w, 1)
				}
				rep := explore.Exhaustive(w, explore.Unbounded())
				states += rep.States
				transitions += rep.Transitions
				visited += rep.VisitedBytes
			}
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
			// Each transition is a clone, a step and a key: its cost is
			// what raw speed work changes (states/op and transitions/op
			// are fixed by the model).
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(transitions), "ns/transition")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(states), "allocB/state")
			b.ReportMetric(float64(states)/float64(b.N), "states/op")
			b.ReportMetric(float64(visited)/float64(states), "visitedB/state")
		})
	}
}

// BenchmarkRandomForkBomb runs seeded random schedules of a fork bomb under
// pids.max with a cgroup.kill, to the kill's outcome.
func BenchmarkRandomForkBomb(b *testing.B) {
	t := &testing.T{}
	w, _ := forkBomb(t, optsWith(model.KillSeq))
	steps := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := explore.Random(w, uint64(i+1), 20000)
		steps += res.Steps
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "schedules/s")
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkCgroupKill1M writes cgroup.kill of a cgroup holding 1,000,000
// single-threaded processes and runs the write to completion (every
// SIGKILL sent; the deaths are not included). It reports the kernel's heap
// per task of the machine built for it.
func BenchmarkCgroupKill1M(b *testing.B) {
	const n = 1_000_000
	opts := model.DefaultOptions()
	opts.PidMax = 4 * 1024 * 1024
	build := func() (*model.Kernel, model.TaskID, model.CgroupID) {
		k := model.New(opts)
		k.Reserve(n + 1)
		init := k.SetupInit(model.UserRegs{})
		cg, err := k.SetupCall(init, func() { k.Mkdir(init, model.RootCG, "big") })
		if err != model.OK {
			b.Fatal(err)
		}
		first, err := k.SetupFork(init, model.CloneArgs{Flags: model.CLONE_INTO_CGROUP, Cgroup: model.CgroupID(cg)})
		if err != model.OK {
			b.Fatal(err)
		}
		for i := 1; i < n; i++ {
			if _, err := k.SetupFork(first, model.CloneArgs{}); err != model.OK {
				b.Fatal(err)
			}
		}
		return k, init, model.CgroupID(cg)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	k, init, cg := build()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	heap := float64(m1.HeapAlloc-m0.HeapAlloc) / n
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		kc := k.Clone()
		b.StartTimer()
		kc.WriteFile(init, cg, model.FileKill, "1")
		steps := 1
		for kc.InKernel(init) {
			kc.Step(init)
			steps++
		}
		if kc.Task(init).Err != model.OK || steps < 2*n {
			b.Fatalf("kill: %s after %d steps", kc.Task(init).Err, steps)
		}
	}
	b.ReportMetric(heap, "heapB/task")
	b.ReportMetric(float64(unsafe.Sizeof(model.Task{})), "Task-bytes")
	b.ReportMetric(float64(unsafe.Sizeof(model.Group{})), "Group-bytes")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/kill")
}

// BenchmarkForkKillQuestion is cgsim's side of tools/spin-vs-cgsim.sh:
// the fork/kill question with N forking tasks under kill=seq and
// kill=atomic, explored to the end (past violations), without the kill
// gate, unreduced and with partial-order reduction. It reports the states
// each search stores (states/op), which the reduction must lower, and
// states per second.
func BenchmarkForkKillQuestion(b *testing.B) {
	for _, kill := range []model.KillMode{model.KillSeq, model.KillAtomic} {
		for n := 1; n <= 2; n++ {
			for _, r := range []explore.Reduction{explore.ReduceNone, explore.ReducePOR} {
				b.Run(fmt.Sprintf("%s-%d/reduce=%s", kill, n, r), func(b *testing.B) {
					states := 0
					for i := 0; i < b.N; i++ {
						w, _ := sim.ForkVsKill(optsWith(kill), n)
						w.Gate = nil
						rep := explore.Exhaustive(w, explore.Bounds{MaxPreemptions: -1, KeepGoing: true, NoShrink: true, Reduce: r})
						if rep.Truncated || (r == explore.ReducePOR && rep.Reduced != explore.ReducePOR) {
							b.Fatalf("search cut or not reduced: %+v", rep)
						}
						states += rep.States
					}
					b.ReportMetric(float64(states)/float64(b.N), "states/op")
					b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
				})
			}
		}
	}
}

// BenchmarkExhaustivePOR is the reduced search of the fork/kill question
// with 2 forking tasks, ungated, to the end keyed by state (simrun explore
// -reduce=por -keep-going -key-by-state): the per-state cost of
// partial-order reduction. It reports states per second and heap bytes
// allocated per state; states/op must not change with an optimisation of
// World.Persistent.
func BenchmarkExhaustivePOR(b *testing.B) {
	for _, kill := range []model.KillMode{model.KillSeq, model.KillAtomic} {
		b.Run(fmt.Sprintf("%s-2", kill), func(b *testing.B) {
			states := 0
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			for i := 0; i < b.N; i++ {
				w, _ := sim.ForkVsKill(optsWith(kill), 2)
				w.Gate = nil
				rep := explore.Exhaustive(w, explore.Bounds{MaxPreemptions: -1, KeepGoing: true, KeyByState: true, NoShrink: true, Reduce: explore.ReducePOR})
				if rep.Truncated || rep.Reduced != explore.ReducePOR {
					b.Fatalf("search cut or not reduced: %+v", rep)
				}
				states += rep.States
			}
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(states), "allocB/state")
			b.ReportMetric(float64(states)/float64(b.N), "states/op")
		})
	}
}
