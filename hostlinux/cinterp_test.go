//go:build linux

package hostlinux

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
)

// TestEscapeField: fields of the plan and the log hold no space or
// newline, and come back as they were (cinterp.c's baddesc/unescape are
// the same code on the other side).
func TestEscapeField(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"", "-"},
		{"-", "%2D"},
		{"/a/b/cgroup.procs", "/a/b/cgroup.procs"},
		{"populated 1\nfrozen 0\n", "populated%201%0Afrozen%200%0A"},
		{"100%", "100%25"},
		{"tester.1.t2", "tester.1.t2"},
	} {
		require.Equal(t, tc.out, escapeField(tc.in))
		back, err := unescapeField(tc.out)
		require.NoError(t, err)
		require.Equal(t, tc.in, back)
	}
	_, err := unescapeField("%G1")
	require.Error(t, err)
}

// TestPlanRefusals: what the C interpreter cannot run is refused before
// anything starts, with the reason; an op the simulator gains later is
// refused by name.
func TestPlanRefusals(t *testing.T) {
	plan := func(code ...sim.Instr) *ScenarioPlan {
		return &ScenarioPlan{
			Programs: []sim.Program{{Name: "init", Code: sim.IgnoreSIGCHLDThenPause()}, {Name: "t", Code: code}},
			Tasks:    []PlanTask{{Name: "init", ID: 0, Prog: 0}, {Name: "t", ID: 1, Prog: 1, Parent: "init"}},
			NSTask:   map[int32]string{0: "init"},
		}
	}
	for _, tc := range []struct {
		name string
		in   sim.Instr
		why  string // "" runs
	}{
		{"an op it does not know", sim.Instr{Op: sim.Op(200)}, "op op200 (program of t, instruction 0): the C interpreter does not know this op"},
		{"a killer's call", sim.Instr{Op: sim.OpReaddir, Path: "/"}, "op getdents64 (program of t, instruction 0): only tasks a userspace killer drives"},
		{"an OOM event", sim.Instr{Op: sim.OpOOM, Path: "/"}, "op oom (program of t, instruction 0): an OOM event: the C interpreter cannot make the kernel run out of memory"},
		{"CLONE_VM without CLONE_THREAD", sim.Instr{Op: sim.OpFork, A: int32(model.CLONE_VM)}, "CLONE_VM without CLONE_THREAD"},
		{"an unknown clone flag", sim.Instr{Op: sim.OpFork, A: 0x400}, "clone flags 0x400"},
		{"a thread", sim.Instr{Op: sim.OpFork, A: int32(model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM)}, ""},
		{"exit of a thread", sim.Instr{Op: sim.OpExit}, ""},
		{"kill of a task not of the setup", sim.Instr{Op: sim.OpKill, Target: 7, B: 9}, "kill of task 7, which is not a task of the setup"},
		{"kill of a literal pid", sim.Instr{Op: sim.OpKill, Target: model.NoTask, A: 3, B: 9}, "kill of the literal pid 3"},
		{"kill of a setup task", sim.Instr{Op: sim.OpKill, Target: 0, B: 9}, ""},
		{"a cgroup by id", sim.Instr{Op: sim.OpWrite, Cg: 1, File: model.FileKill, Str: "1"}, "a cgroup named by id"},
		{"setns into an unknown namespace", sim.Instr{Op: sim.OpSetns, A: 4}, "setns into pid namespace 4"},
		{"an unknown disposition", sim.Instr{Op: sim.OpSigaction, A: 10, B: 9}, "signal disposition"},
		{"a handler that exits", sim.Instr{Op: sim.OpSigaction, A: 15, B: int32(model.HandlerExit)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := plan(tc.in).Check()
			if tc.why == "" {
				require.NoError(t, err)
				return
			}
			var r *Refusal
			require.True(t, errors.As(err, &r), "%v", err)
			require.Contains(t, r.Reason, tc.why)
			require.True(t, strings.HasPrefix(err.Error(), "cannot run on real processes: "))
		})
	}
}

// TestInterpRefusesUnknownOp: the C interpreter itself refuses an op it
// does not know by name, before it runs anything.
func TestInterpRefusesUnknownOp(t *testing.T) {
	if err := HaveCC(); err != nil {
		t.Skip(err)
	}
	bin, err := interpBinary()
	require.NoError(t, err)
	dir := t.TempDir()
	p := &ScenarioPlan{
		Programs: []sim.Program{{Name: "init", Code: sim.PauseForever()}},
		Tasks:    []PlanTask{{Name: "init", Prog: 0}},
	}
	text := strings.Replace(p.planText(dir, "/nonexistent"), "op pause ", "op frobnicate ", 1)
	file := filepath.Join(dir, "plan")
	require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
	out, err := exec.Command(bin, file).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 2, ee.ExitCode())
	require.Contains(t, string(out), "cannot run on real processes: op frobnicate")
}

// TestCinterpHeader: the constants the C interpreter is compiled with are
// the simulator's (a changed constant changes the source's hash, so
// BuildC rebuilds).
func TestCinterpHeader(t *testing.T) {
	h := cinterpHeader()
	for _, want := range []string{
		"#define PID_LAST_CHILD (-2147483647L - 1)\n",
		"#define SIM_CLONE_INTO_CGROUP 1\n",
		"#define HANDLER_EXIT_ 3\n",
		"#define PAGE_SLOTS_MAX 4096\n",
	} {
		require.Contains(t, h, want)
	}
}

// TestScenarioV1Placement: a task with a V1 name is placed in a v1 cgroup
// of the run's own right after it is created, so the kernel walks /t
// css_set by css_set (kernel-probes.md Q12): a, c (the first css_set),
// then b (its own). Close removes the run's v1 cgroups.
func TestScenarioV1Placement(t *testing.T) {
	needKernel(t)
	if err := HaveCC(); err != nil {
		t.Skip(err)
	}
	if err := HaveScenarioV1(); err != nil {
		t.Skip(err)
	}
	r, err := NewRun("conform")
	require.NoError(t, err)
	defer r.Close()
	p := &ScenarioPlan{
		Programs: []sim.Program{{Name: "pause", Code: sim.PauseForever()}},
		Cgroups:  []PlanCgroup{{Path: "/"}, {Path: "/t"}},
		Tasks: []PlanTask{
			{Name: "init", ThreadProg: -1},
			{Name: "a", Parent: "init", Cgroup: "/t", ThreadProg: -1},
			{Name: "b", Parent: "init", Cgroup: "/t", ThreadProg: -1, V1: "x"},
			{Name: "c", Parent: "init", Cgroup: "/t", ThreadProg: -1},
		},
	}
	out, err := RunScenario(r, p)
	require.NoError(t, err)
	require.Empty(t, out.Problems)
	b, err := os.ReadFile(r.Path("/t/cgroup.procs"))
	require.NoError(t, err)
	procs := strings.Fields(string(b))
	require.Len(t, procs, 3)
	dir, err := r.V1(ScenarioV1Controller)
	require.NoError(t, err)
	v1procs, err := os.ReadFile(filepath.Join(dir, "v1-0", "cgroup.procs"))
	require.NoError(t, err)
	require.Equal(t, []string{procs[2]}, strings.Fields(string(v1procs)), "b, placed in the v1 cgroup, is walked last: /t/cgroup.procs %v", procs)
	require.NoError(t, r.Close())
	_, err = os.Stat(dir)
	require.True(t, os.IsNotExist(err), "the run's v1 cgroup is removed")
}
