package sim_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// symmetryWorlds are worlds with interchangeable tasks: fork-vs-kill with
// several forkers (gated, as the catalogue searches it, and not), the
// crowd world (its crowd members are interchangeable), and every bundled
// exhaustive scenario that has a class.
func symmetryWorlds(t *testing.T) map[string]*sim.World {
	worlds := map[string]*sim.World{}
	forkers := 3
	if testing.Short() {
		forkers = 2
	}
	for _, mode := range model.KillModes {
		for n := 2; n <= forkers; n++ {
			w, _ := sim.ForkVsKill(optsWith(mode), n)
			worlds[fmt.Sprintf("fork-vs-kill/%s/%d", mode, n)] = w
		}
		w, _ := sim.ForkVsKill(optsWith(mode), 2)
		w.Gate = nil
		worlds[fmt.Sprintf("fork-vs-kill/%s/2/ungated", mode)] = w
		w, _ = sim.ForkVsKillCrowd(optsWith(mode), 2, false)
		worlds[fmt.Sprintf("crowd/%s", mode)] = w
	}
	// Worlds whose interchangeable tasks take the paths the renaming must
	// reach: vfork, threads, a pid namespace each (its init), sessions and
	// handlers, freezing and migration.
	for _, c := range symmetryScenarios {
		src := "version: 1\nsummary: " + c.name + "\ncgroups:\n  - path: /test\n  - path: /other\ntasks:\n  - {name: init, program: ignore-sigchld}\n"
		for _, n := range []string{"a", "b"} {
			src += "  - name: " + n + "\n    cgroup: /test\n    program:\n" + c.program
		}
		src += "  - name: writer\n    program:\n" + c.writer
		src += "expect:\n  properties:\n    - empty-after-kill: {cgroup: /test, after: kill}\nexplore:\n  mode: exhaustive\n  kill-gate: kill\n"
		s, err := scenarios.Parse(c.name+".yaml", []byte(src))
		require.NoError(t, err, c.name)
		for _, mode := range []model.KillMode{model.KillSeq, model.KillAtomic} {
			opts := s.Options
			opts.Kill = mode
			w, err := s.Build(opts)
			require.NoError(t, err, c.name)
			worlds[fmt.Sprintf("%s/%s", c.name, mode)] = w
		}
	}
	for _, s := range scenarios.All() {
		if s.ExploreMode() != "exhaustive" {
			continue
		}
		w, err := s.Build(s.Options)
		require.NoError(t, err)
		if _, why := w.SymmetryClasses(); why == "" {
			worlds[s.Name] = w
		}
	}
	return worlds
}

// symmetryScenarios are two interchangeable tasks in /test running
// program against a writer running writer (YAML list items, indented).
var symmetryScenarios = []struct{ name, program, writer string }{
	{"vfork", `      - fork: {flags: CLONE_VFORK, child: [exit]}
      - pause
`, `      - write: {file: /test/cgroup.kill, value: "1", label: kill}
      - pause
`},
	{"threads", `      - fork: {flags: CLONE_THREAD, child: [pause]}
      - exit: 3
`, `      - write: {file: /test/cgroup.kill, value: "1", label: kill}
      - pause
`},
	{"pidns", `      - unshare-pidns
      - fork: {child: [fork, pause]}
      - pause
`, `      - write: {file: /test/cgroup.kill, value: "1", label: kill}
      - pause
`},
	{"handler-freeze", `      - sigaction: {signal: SIGTERM, action: handler}
      - fork
      - pause
`, `      - write: {file: /test/cgroup.freeze, value: "1"}
      - write: {file: /test/cgroup.kill, value: "1", label: kill}
      - pause
`},
	{"migrate", `      - write: {file: /other/cgroup.procs, value: "0"}
      - fork
      - pause
`, `      - write: {file: /test/cgroup.kill, value: "1", label: kill}
      - write: {file: /other/cgroup.kill, value: "1"}
      - pause
`},
}

// TestSymmetryClasses: which tasks a world may rename, and why a world
// may not.
func TestSymmetryClasses(t *testing.T) {
	w, _ := sim.ForkVsKill(optsWith(model.KillSeq), 3)
	classes, why := w.SymmetryClasses()
	require.Empty(t, why)
	require.Len(t, classes, 1)
	var names []string
	for _, c := range classes[0] {
		names = append(names, w.Name(c))
	}
	assert.Equal(t, []string{"forker0", "forker1", "forker2"}, names)

	w, _ = sim.ForkVsKill(optsWith(model.KillSeq), 1)
	_, why = w.SymmetryClasses()
	assert.Contains(t, why, "no interchangeable tasks")

	cases := []struct{ name, yaml, why string }{
		{"a named forker stays put", `
tasks:
  - {name: init, program: ignore-sigchld}
  - {name: a, cgroup: /test, program: [fork, pause]}
  - {name: b, cgroup: /test, program: [fork, pause]}
  - name: killer
    program: [{kill: {task: a, signal: SIGKILL}}, pause]
`, "no interchangeable tasks"},
		{"getpid", `
tasks:
  - {name: init, program: ignore-sigchld}
  - {name: a, cgroup: /test, program: [getpid, pause]}
  - {name: b, cgroup: /test, program: [getpid, pause]}
`, "getpid"},
		{"setsid returns the caller's pid", `
tasks:
  - {name: init, program: ignore-sigchld}
  - {name: a, cgroup: /test, program: [setsid, pause]}
  - {name: b, cgroup: /test, program: [setsid, pause]}
`, "setsid"},
		{"a fork bomb could wrap the pid numbers", `
tasks:
  - {name: init, program: ignore-sigchld}
  - {name: a, cgroup: /test, program: fork-bomb}
  - {name: b, cgroup: /test, program: fork-bomb}
`, "forks in a loop"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "version: 1\nsummary: symmetry\ncgroups:\n  - path: /test\n" + strings.TrimPrefix(c.yaml, "\n")
			s, err := scenarios.Parse("sym.yaml", []byte(src))
			require.NoError(t, err)
			w, err := s.Build(s.Options)
			require.NoError(t, err)
			_, why := w.SymmetryClasses()
			assert.Contains(t, why, c.why)
		})
	}
}

// permutations calls f with every permutation of ts.
func permutations(ts []model.TaskID, f func([]model.TaskID)) {
	var rec func(i int)
	rec = func(i int) {
		if i == len(ts) {
			f(ts)
			return
		}
		for j := i; j < len(ts); j++ {
			ts[i], ts[j] = ts[j], ts[i]
			rec(i + 1)
			ts[i], ts[j] = ts[j], ts[i]
		}
	}
	rec(0)
}

// renamed is w with its kernel renamed by perm (extended by the identity
// to w's tasks), or nil when the kernel refuses.
func renamed(w *sim.World, perm []model.TaskID) *sim.World {
	k, ok := w.K.Renamed(new(model.Kernel), model.Renaming{Tasks: perm})
	if !ok {
		return nil
	}
	r := w.CloneWorld()
	r.K = k
	return r
}

func key(w *sim.World) string { return string(w.AppendKey(nil)) }

// TestRenamingCommutesWithSteps is the soundness condition of symmetry
// reduction, checked on every state of a breadth-first walk: for every
// renaming of the classes, the renamed state enables the renamed actors,
// the renamed state stepped with the renamed actor is the renaming of the
// stepped state, and the properties give the same verdicts.
func TestRenamingCommutesWithSteps(t *testing.T) {
	limit := 800
	if testing.Short() {
		limit = 300
	}
	worlds := symmetryWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(worlds)) {
		w0 := worlds[name]
		classes, why := w0.SymmetryClasses()
		require.Empty(t, why, name)
		var perms [][]model.TaskID
		for _, c := range classes {
			permutations(slices.Clone(c), func(p []model.TaskID) {
				perm := make([]model.TaskID, w0.K.NumTasks())
				for i := range perm {
					perm[i] = model.TaskID(i)
				}
				for i, u := range p {
					perm[c[i]] = u
				}
				perms = append(perms, perm)
			})
		}
		seen := map[string]bool{key(w0): true}
		queue := []*sim.World{w0}
		checked := 0
		for len(queue) > 0 && len(seen) < limit {
			s := queue[0]
			queue = queue[1:]
			en := s.Enabled(nil)
			for _, perm := range perms {
				rs := renamed(s, perm)
				if rs == nil {
					continue
				}
				p := func(a int) int {
					if a < len(perm) {
						return int(perm[a])
					}
					return a
				}
				var want []int
				for _, a := range en {
					want = append(want, p(a))
				}
				slices.Sort(want)
				require.Equal(t, want, rs.Enabled(nil), "%s: enabled actors of a renamed state", name)
				assert.Equal(t, s.Check(false) == "", rs.Check(false) == "", "%s: verdict of a renamed state", name)
				if len(en) == 0 {
					assert.Equal(t, s.Check(true) == "", rs.Check(true) == "", "%s: final verdict of a renamed state", name)
				}
				for _, a := range en {
					n := s.CloneWorld()
					n.Step(a)
					rn := rs.CloneWorld()
					rn.Step(p(a))
					want := renamed(n, perm)
					if want == nil {
						continue
					}
					if key(want) != key(rn) {
						for i := 0; i < want.NumComponents() && i < rn.NumComponents(); i++ {
							if a, b := want.AppendComponent(i, nil), rn.AppendComponent(i, nil); string(a) != string(b) {
								t.Logf("component %d differs:\n%x\n%x", i, a, b)
								if i >= 1 && i <= want.K.NumTasks() {
									t.Logf("task T%d: want %+v\ngot  %+v", i-1, *want.K.Task(model.TaskID(i - 1)), *rn.K.Task(model.TaskID(i - 1)))
								}
							}
						}
						t.Fatalf("%s: renaming %v does not commute with a step of T%d (%s)", name, perm, a, n.Describe(model.TaskID(a)))
					}
					checked++
				}
			}
			for _, a := range en {
				n := s.CloneWorld()
				n.Step(a)
				if k := key(n); !seen[k] {
					seen[k] = true
					queue = append(queue, n)
				}
			}
		}
		// Deep states too: random runs to the end (a fixed seed), each
		// state checked under one renaming.
		rng := rand.New(rand.NewPCG(1, uint64(len(name))))
		runs := 100
		if testing.Short() {
			runs = 40
		}
		for r := 0; r < runs; r++ {
			s := w0.CloneWorld()
			for step := 0; step < 400; step++ {
				en := s.Enabled(nil)
				if len(en) == 0 {
					break
				}
				perm := perms[rng.IntN(len(perms))]
				a := en[rng.IntN(len(en))]
				if rs := renamed(s, perm); rs != nil {
					p := a
					if a < len(perm) {
						p = int(perm[a])
					}
					n := s.CloneWorld()
					n.Step(a)
					rn := rs.CloneWorld()
					rn.Step(p)
					if want := renamed(n, perm); want != nil {
						require.Equal(t, key(want), key(rn), "%s: renaming %v does not commute with a step of T%d in a random run", name, perm, a)
						checked++
					}
				}
				s.Step(a)
			}
		}
		t.Logf("%s: %d states, %d renamed steps checked", name, len(seen), checked)
		require.Positive(t, checked, name)
	}
}

// violatedProperties names the properties a search saw violated: the
// messages name tasks, which a renaming changes.
func violatedProperties(r *record) []string {
	var out []string
	for v := range r.violations {
		out = append(out, strings.SplitN(v, ":", 2)[0])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSymmetryAgreesWithFull searches each world to the end with and
// without symmetry reduction and requires the same verdict, the same
// violated properties, the same coverage points and the same quiescent
// states up to renaming; the reduced search stores fewer states.
func TestSymmetryAgreesWithFull(t *testing.T) {
	if raceOn {
		t.Skip("skipped under -race (see TestReducedAgreesWithFull)")
	}
	worlds := symmetryWorlds(t)
	merged := false
	for _, name := range slices.Sorted(maps.Keys(worlds)) {
		w := worlds[name]
		canon, why := w.Symmetry()
		require.Empty(t, why, name)
		b := explore.Bounds{MaxPreemptions: -1, KeepGoing: true, NoShrink: true, MaxStates: 60_000}
		full, red, fr, rr, ok := searchBoth(t, name, w, b, explore.ReduceSymmetry, canon)
		if !ok {
			continue
		}
		require.Equal(t, explore.ReduceSymmetry, rr.Reduced, "%s: %s", name, rr.ReductionNote)
		assert.Equal(t, violatedProperties(full.rec), violatedProperties(red.rec), "%s: violated properties", name)
		assert.Equal(t, full.rec.cover.Names(), red.rec.cover.Names(), "%s: coverage", name)
		assert.Equal(t, slices.Sorted(maps.Keys(full.rec.finals)), slices.Sorted(maps.Keys(red.rec.finals)), "%s: quiescent states up to renaming", name)
		assert.LessOrEqual(t, rr.States, fr.States, name)
		if rr.States < fr.States {
			merged = true
		}
		t.Logf("%s: full %d states, symmetry %d states (×%.2f), %d quiescent classes", name, fr.States, rr.States, float64(fr.States)/float64(rr.States), len(full.rec.finals))
	}
	require.True(t, merged, "symmetry merged no states anywhere")
}
