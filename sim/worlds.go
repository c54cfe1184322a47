package sim

import (
	"fmt"

	"cgsim/model"
)

// ForkVsKill is the race catalogue's world: a cgroup /test holding
// nForkers tasks that each fork once and then sleep (their children sleep
// too), and a writer in the root cgroup that writes "1" to
// /test/cgroup.kill and then sleeps. The global init ignores SIGCHLD, so
// dead tasks are reaped at once. The property is "empty except kthreads"
// once the write has returned.
func ForkVsKill(opts model.Options, nForkers int) (*World, model.CgroupID) {
	w := NewWorld(opts)
	initProg := w.AddProgram("init", IgnoreSIGCHLDThenPause())
	init := w.Init("init", initProg)
	w.Settle(init, 10)
	test, err := w.Mkdir(init, model.RootCG, "test")
	must(err)
	fork := w.AddProgram("fork-once", ForkOnceThenPause("fork"))
	for i := 0; i < nForkers; i++ {
		name := "forker"
		if nForkers > 1 {
			name = fmt.Sprintf("forker%d", i)
		}
		_, err := w.Spawn(init, name, fork, model.CLONE_INTO_CGROUP, test)
		must(err)
	}
	kill := w.AddProgram("kill", WriteThenPause(test, model.FileKill, "1", "kill"))
	_, err = w.Spawn(init, "writer", kill, 0, model.NoCgroup)
	must(err)
	w.Props = append(w.Props, EmptyAfterKill(test, "kill"))
	w.Gate = KillGate("kill")
	return w, test
}

// ForkVsKillCrowd is ForkVsKill with one forker and, after it, a crowd of
// sleeping processes in /test that the kill's walk must go through. With
// csets, the forker and the crowd are placed in different v1 cgroups
// (MoveV1), so the forker sits alone on /test's first css_set and the
// crowd on a second one: a child the forker links at the tail of its
// css_set after the walk has left that css_set is never yielded, however
// many crowd members remain. Without, all share one css_set and the child
// goes in after the crowd. Task names: forker, crowd0.., writer.
func ForkVsKillCrowd(opts model.Options, crowd int, csets bool) (*World, model.CgroupID) {
	w := NewWorld(opts)
	initProg := w.AddProgram("init", IgnoreSIGCHLDThenPause())
	init := w.Init("init", initProg)
	w.Settle(init, 10)
	test, err := w.Mkdir(init, model.RootCG, "test")
	must(err)
	forker, err := w.Spawn(init, "forker", w.AddProgram("fork-once", ForkOnceThenPause("fork")), model.CLONE_INTO_CGROUP, test)
	must(err)
	if csets {
		must(w.MoveV1(forker, "forker"))
	}
	pause := w.AddProgram("pause", PauseForever())
	for i := 0; i < crowd; i++ {
		c, err := w.Spawn(init, fmt.Sprintf("crowd%d", i), pause, model.CLONE_INTO_CGROUP, test)
		must(err)
		w.Settle(c, 10)
	}
	kill := w.AddProgram("kill", WriteThenPause(test, model.FileKill, "1", "kill"))
	_, err = w.Spawn(init, "writer", kill, 0, model.NoCgroup)
	must(err)
	w.Props = append(w.Props, EmptyAfterKill(test, "kill"))
	w.Gate = KillGate("kill")
	return w, test
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
