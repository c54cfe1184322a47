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

func must(err error) {
	if err != nil {
		panic(err)
	}
}
