package sim_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
)

// testVforkVsKill (TestRaceCatalogue/vfork) is fork-vs-kill with a vfork:
// the forker's fork is CLONE_VFORK and its child pauses, so the parent
// sleeps in wait_for_vfork_done for ever unless a SIGKILL ends the wait.
// The fork's race windows are those of a plain fork (the wait begins after
// cgroup_post_fork), so each kill option must give the verdict it gives
// fork-vs-kill; and wherever the child escapes, the parent, killed in its
// wait, must not: a vfork parent asleep in the killable wait is no shelter.
func testVforkVsKill(t *testing.T) {
	data, err := os.ReadFile("../scenarios/bundled/fork-vs-kill.yaml")
	require.NoError(t, err)
	src := strings.Replace(string(data), "      - fork: {label: fork}\n",
		"      - fork: {label: fork, flags: CLONE_VFORK, child: [pause]}\n", 1)
	require.NotEqual(t, string(data), src)
	s, err := scenarios.Parse("vfork-vs-kill.yaml", []byte(src))
	require.NoError(t, err)
	for _, mode := range model.KillModes {
		opts := s.Options
		opts.Kill = mode
		w, err := s.Build(opts)
		require.NoError(t, err)
		rep := explorePlain(t, w)
		if mode == model.KillAtomic {
			require.Empty(t, rep.Violation)
			require.True(t, rep.Complete)
			t.Logf("kill=%s: no escape; exhaustive, %d states", mode, rep.States)
			continue
		}
		require.Contains(t, rep.Violation, "alive in /test after cgroup.kill returned", "kill=%s", mode)
		require.NotContains(t, rep.Violation, "forker", "kill=%s: the vfork parent is killed in its wait", mode)
		t.Logf("kill=%s: the vfork child escapes after %d states: %s", mode, rep.States, rep.Schedule)
	}
}
