package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

func flagOpts() model.Options {
	o := model.DefaultOptions()
	o.Kill = model.KillFlag
	return o
}

// TestFollow: a schedule that fits runs as explore.Run runs it; one that
// does not is refused with the step and the reason, in every mode but
// Diverge, which goes on with the default policy.
func TestFollow(t *testing.T) {
	escape := explore.Schedule{1, 1, 2, 2, 2, 2, 2, 1} // the kill=flag escape
	for _, tc := range []struct {
		name  string
		sched explore.Schedule
		mode  sim.FollowMode
		err   string // "" for a run
		index int    // the ScheduleError's Index
	}{
		{"the escape, exactly", escape, sim.Exact, "", 0},
		{"the escape, then on", escape, sim.Continue, "", 0},
		{"a prefix, then the default policy", escape[:3], sim.Continue, "", 0},
		{"a prefix is not the whole run", escape[:3], sim.Exact, "the schedule ends here, but the run goes on", 3},
		{"longer than the run", append(append(explore.Schedule{}, escape...), 1), sim.Exact, "the run has ended: after step 8 no task can step", 8},
		{"a task that does not exist", explore.Schedule{1, 1, 9}, sim.Continue, "task 9 does not exist (the machine has tasks 0 to 3 at this point", 2},
		{"a task that cannot step", explore.Schedule{0}, sim.Continue, "task 0 (init) cannot take this step: it cannot step (sys_pause, blocked, cgroup /); can step: 1 (forker), 2 (writer)", 0},
		{"diverge: the default policy takes over", explore.Schedule{1, 0, 2}, sim.Diverge, "task 0 (init) cannot take this step", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := sim.ForkVsKill(flagOpts(), 1)
			fw, res, err := sim.Follow(w, tc.sched, 1000, tc.mode, nil)
			if tc.err == "" {
				require.NoError(t, err)
				want := explore.Run(w, tc.sched, 1000)
				require.Equal(t, want, res)
				require.Len(t, fw.Trace(), res.Steps)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.err)
			var se *sim.ScheduleError
			require.True(t, errors.As(err, &se))
			require.Equal(t, tc.index, se.Index)
			if tc.mode == sim.Diverge {
				require.NotNil(t, fw, "Diverge returns the run")
				require.Equal(t, explore.Schedule{1, 1}, res.Schedule[:2], "the default policy keeps running the last task")
			} else {
				require.Nil(t, fw)
			}
		})
	}
}

// TestRecordRun: a recorded run has one frame per step, each with the
// state after it, what changed, the coverage points first reached and the
// tasks inside the race window.
func TestRecordRun(t *testing.T) {
	w, _ := sim.ForkVsKill(flagOpts(), 1)
	rec, err := sim.RecordRun(w, explore.Schedule{1, 1, 2, 2, 2, 2, 2, 1}, 100, sim.Exact)
	require.NoError(t, err)
	require.Len(t, rec.Frames, 8)
	require.Contains(t, rec.Result.Violation, "empty-after-kill")
	var window []int
	for i, f := range rec.Frames {
		require.Equal(t, i+1, f.Event.Step)
		if len(f.Window) > 0 {
			require.Equal(t, []int32{1}, f.Window, "step %d", i+1)
			window = append(window, i+1)
		}
		if i+1 == 6 {
			require.Equal(t, []string{"fork-passed-sigcheck-before-kill"}, f.Reached)
		} else {
			require.Empty(t, f.Reached, "step %d", i+1)
		}
	}
	require.Equal(t, []int{2, 3, 4, 5, 6, 7}, window, "the forker's fork is committed but not in its cgroup from step 2 to step 7")
	require.Contains(t, rec.Frames[2].Changes, sim.Change{Key: "cgroup_mutex", After: "held by writer[pid 3]"})
	require.Contains(t, rec.Frames[2].Changes, sim.Change{Key: "cgroup /test",
		Before: "type domain, populated 1, frozen 0", After: "type domain, populated 1, frozen 0, kill_seq 0, CGRP_KILL set"})
}

func TestDiffFacts(t *testing.T) {
	a := []sim.Fact{{"x", "1"}, {"y", "2"}, {"z", "3"}}
	b := []sim.Fact{{"x", "1"}, {"z", "4"}, {"w", "5"}}
	require.Equal(t, []sim.Change{{Key: "y", Before: "2"}, {Key: "z", Before: "3", After: "4"}, {Key: "w", After: "5"}}, sim.DiffFacts(a, b))
	require.Empty(t, sim.DiffFacts(a, a))
}

// TestMapNames: kernel messages name setup tasks by their names, and
// leave the rest (and words that only look like ids) alone.
func TestMapNames(t *testing.T) {
	w, _ := sim.ForkVsKill(flagOpts(), 1)
	for in, want := range map[string]string{
		"T1 committed: T3[pid 4], parent T1[pid 2]": "forker committed: T3[pid 4], parent forker[pid 2]",
		"SIGCHLD to T0[pid 1] ignored":              "SIGCHLD to init[pid 1] ignored",
		"T2":                                        "writer",
		"TASK_NEW T12 XT1 T1x T1_ (T2)":             "TASK_NEW T12 XT1 T1x T1_ (writer)",
		"":                                          "",
	} {
		require.Equal(t, want, w.MapNames(in), in)
	}
	require.False(t, strings.Contains(w.MapNames("T1"), "T"))
}
