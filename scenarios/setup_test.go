package scenarios_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// nestFile forks a chain of pid namespaces, each child one level below
// its parent (clone with CLONE_NEWPID; the parent then blocks in wait4
// for it, the child, whose last fork is none, gets ECHILD and goes on),
// 32 forks in all along the chain.
const nestFile = `version: 1
tasks:
  - {name: init, program: ignore-sigchld}
  - name: nester
    program:
      - repeat:
          times: 32
          do:
            - fork: {flags: CLONE_NEWPID, label: nest}
            - wait: {pid: child}
      - pause
`

// TestBuildSetupInitLevel: BuildSetup puts the scenario's init at the pid
// namespace level asked for, pid 1 of its namespace with hosts above it,
// and the nesting limit moves with it: MAX_PID_NS_LEVEL (32) counts from
// the initial namespace (create_pid_namespace: ENOSPC once level > 32), so
// a chain of 32 namespaces below a global init fits, and below an init at
// level 1 its last fork fails.
func TestBuildSetupInitLevel(t *testing.T) {
	s, err := scenarios.Parse("nest.yaml", []byte(nestFile))
	require.NoError(t, err)
	for _, tc := range []struct {
		level   int
		ok      int
		enospc  bool
		nhosts  int
		initPid int32
	}{
		{0, 32, false, 0, 1},
		{1, 31, true, 1, 1},
		{3, 29, true, 3, 1},
	} {
		w, setup, err := s.BuildSetup(model.DefaultOptions(), tc.level)
		require.NoError(t, err)
		init := setup.Tasks[0].ID
		k := w.K
		require.Equal(t, int8(tc.level), k.Task(init).Level, "level %d: the init's level", tc.level)
		require.Equal(t, tc.initPid, k.PidIn(init, k.Task(init).NS), "level %d: pid 1 of its namespace", tc.level)
		require.Len(t, setup.Hosts, tc.nhosts)
		if tc.level > 0 {
			require.Equal(t, init, k.NS(k.Task(init).NS).ChildReaper, "the init reaps its namespace's orphans")
			for i, h := range setup.Hosts {
				require.Equal(t, int8(i), k.Task(h).Level)
				require.Empty(t, w.Name(h), "hosts are unnamed")
				require.Equal(t, model.RootCG, k.Task(h).Cgroup)
			}
		}
		w.Props, w.Gate = nil, nil
		res, fm := explore.RandomFinal(w, 1, 100000)
		require.False(t, res.Truncated)
		var ok int
		enospc := false
		for _, r := range fm.(*sim.World).Records("nest") {
			switch r.Err {
			case model.OK:
				ok++
			case model.ENOSPC:
				enospc = true
			default:
				t.Fatalf("level %d: fork %v", tc.level, r.Err)
			}
		}
		require.Equal(t, tc.ok, ok, "level %d: forks into a new namespace that succeeded", tc.level)
		require.Equal(t, tc.enospc, enospc, "level %d: ENOSPC", tc.level)
	}
	_, _, err = s.BuildSetup(model.DefaultOptions(), model.MaxPidNSLevel+1)
	require.ErrorContains(t, err, "MAX_PID_NS_LEVEL")
}
