package sim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

func container(t *testing.T, opts model.Options, p scenarios.ContainerParts) (*sim.World, model.TaskID, model.NSID) {
	t.Helper()
	w, cinit, ns, err := scenarios.Container(opts, p)
	require.NoError(t, err)
	w.CheckInvariants = true
	return w, cinit, ns
}

func TestZapCurrent(t *testing.T) {
	cases := []struct {
		name  string
		parts scenarios.ContainerParts
	}{
		{"worker", scenarios.ContainerParts{Worker: true}},
		{"nested-namespace", scenarios.ContainerParts{Nested: true}},
		{"setns-injected", scenarios.ContainerParts{Injected: true}},
		{"forks-in-flight", scenarios.ContainerParts{Forker: 2}},
		{"worker-and-injected", scenarios.ContainerParts{Worker: true, Injected: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, _, ns := container(t, model.DefaultOptions(), c.parts)
			// Every interleaving: init's exit completes only after every pid
			// of the namespace is freed (InitOutlivesNamespace, after every
			// step), and at the end nothing of the namespace is alive
			// (NamespaceDead), nested namespaces and injected tasks included.
			rep := explore.Exhaustive(w, explore.Unbounded())
			require.Empty(t, rep.Violation)
			require.True(t, rep.Complete)
			t.Logf("exhaustive: %d states, no violation", rep.States)
			// And on a replay to the end, the namespace is dead.
			fw, res := sim.Replay(w, nil, 10000)
			require.Empty(t, res.Violation)
			require.True(t, res.Final)
			require.False(t, fw.K.NS(ns).Adding, "PIDNS_ADDING cleared")
			require.Zero(t, fw.K.NS(ns).Allocated, "every pid of the namespace freed")
			if c.parts.Injected {
				r := fw.Records("late-fork")
				require.Len(t, r, 1)
				require.Equal(t, model.ENOMEM, r[0].Err, "fork into a dead pid namespace")
			}
			for _, r := range fw.Records("fork") {
				require.Contains(t, []model.Errno{model.OK, model.ENOMEM}, r.Err)
			}
		})
	}
}

// TestZapForkENOMEMEveryInterleaving checks the forks racing the zap in
// every interleaving: each one either succeeds before allocation is
// disabled (and its child is then killed) or fails with ENOMEM.
func TestZapForkRace(t *testing.T) {
	w, _, _ := container(t, model.DefaultOptions(), scenarios.ContainerParts{Forker: 2})
	w.Props = append(w.Props, sim.Property{Name: "fork-result", Check: func(w *sim.World, _ bool) string {
		for _, r := range w.Records("fork") {
			if r.Err != model.OK && r.Err != model.ENOMEM {
				return "fork returned " + r.Err.String()
			}
		}
		return ""
	}})
	rep := explore.Exhaustive(w, explore.Unbounded())
	require.Empty(t, rep.Violation)
	t.Logf("%d states", rep.States)
}

func TestZap2007(t *testing.T) {
	opts := model.DefaultOptions()
	opts.Zap = model.Zap2007
	w, _, _ := container(t, opts, scenarios.ContainerParts{Worker: true})
	rep := explore.Exhaustive(w, explore.Unbounded())
	require.Contains(t, rep.Violation, "zap-waits")
	fw, _ := sim.Replay(w, rep.Schedule, 1000)
	t.Logf("%d states; a task outlives init's exit: %s\n%s", rep.States, rep.Schedule, traceText(fw, opts, rep.Schedule))
}

func TestZapV33(t *testing.T) {
	// zap=v3.3 (merged in 2.6.24): init kills and waits for its own
	// children, but not for a task whose parent is outside the namespace
	// (setns+fork), and pid allocation is never disabled. So init's exit
	// completes while the injected task still holds its pid, and a fork
	// into the dead namespace succeeds: what disable_pid_allocation and the
	// pid_allocated drain of today's zap fixed.
	opts := model.DefaultOptions()
	opts.Zap = model.ZapV33
	w, _, ns := container(t, opts, scenarios.ContainerParts{Worker: true, Injected: true})
	rep := explore.Exhaustive(w, explore.Unbounded())
	require.Contains(t, rep.Violation, "zap-waits")
	require.Contains(t, rep.Violation, "injected")
	t.Logf("%d states; init's exit completes before the injected task is reaped: %s", rep.States, rep.Schedule)

	w.Props = []sim.Property{sim.NamespaceDead(ns)}
	fw, res := sim.Replay(w, nil, 10000)
	require.True(t, res.Final)
	r := fw.Records("late-fork")
	require.Len(t, r, 1)
	require.Equal(t, model.OK, r[0].Err, "v3.3 lets a fork into the dead namespace succeed")
	require.Contains(t, res.Violation, "namespace-dead")
	require.True(t, fw.K.NS(ns).ReaperToInit)
}
