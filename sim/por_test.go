package sim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"cgsim/model"
)

// The footprints and futures that partial-order reduction relies on are
// checked here on every state of small worlds (package sim_test compares
// reduced and unreduced searches):
//
//   - a step changes only objects its footprint writes;
//   - two enabled tasks whose next steps do not conflict commute: either
//     order reaches the same state (and coverage), and neither step
//     disables the other;
//   - a task's next step is within its future, and after any step every
//     task's future is within what it was before (a new task's within its
//     creator's, as fresh objects), so a future covers every step a task
//     and its descendants can take from the state on.

// porWorlds are small worlds with races of every kind the footprints
// follow: the catalogue's fork-vs-kill (gates off), with a crowd on
// separate css_sets, a kill of a subtree, fork bombs, exits, waits.
func porWorlds(t testing.TB) map[string]*World {
	worlds := map[string]*World{}
	for _, mode := range model.KillModes {
		o := model.DefaultOptions()
		o.Kill = mode
		for n := 1; n <= 2; n++ {
			w, _ := ForkVsKill(o, n)
			w.Gate = nil
			worlds[fmt.Sprintf("fork-vs-kill/%s/%d", mode, n)] = w
		}
		for _, csets := range []bool{false, true} {
			w, _ := ForkVsKillCrowd(o, 1, csets)
			w.Gate = nil
			worlds[fmt.Sprintf("crowd/%s/csets=%v", mode, csets)] = w
		}
	}
	o := model.DefaultOptions()
	o.PostForkKillIfParentKilled = true
	w, _ := ForkVsKill(o, 2)
	w.Gate = nil
	worlds["fork-vs-kill/seq/fix/2"] = w
	o.Populated = model.PopulatedAtFinalSwitch
	w, _ = ForkVsKill(o, 2)
	w.Gate = nil
	worlds["fork-vs-kill/seq/final-switch/2"] = w
	return worlds
}

// porVisit explores w breadth first (all enabled steps, up to limit
// states) and calls check on every state.
func porVisit(t *testing.T, w *World, limit int, check func(s *World)) int {
	seen := map[string]bool{string(w.AppendKey(nil)): true}
	queue := []*World{w.CloneWorld()}
	n := 0
	for len(queue) > 0 && n < limit {
		s := queue[0]
		queue = queue[1:]
		n++
		check(s)
		for _, a := range s.Enabled(nil) {
			c := s.CloneWorld()
			c.Step(a)
			if c.Check(false) != "" {
				continue
			}
			k := string(c.AppendKey(nil))
			if !seen[k] {
				seen[k] = true
				queue = append(queue, c)
			}
		}
	}
	return n
}

func porLimit() int {
	if testing.Short() {
		return 300
	}
	return 2500
}

// TestFootprintCoversWrites: a step changes only objects its footprint
// writes.
func TestFootprintCoversWrites(t *testing.T) {
	ws := porWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(ws)) {
		w := ws[name]
		t.Run(name, func(t *testing.T) {
			n := porVisit(t, w, porLimit(), func(s *World) {
				for _, a := range s.Enabled(nil) {
					fp := s.nextFootprint(model.TaskID(a), nil)
					c := s.CloneWorld()
					c.Step(a)
					changed := c.K.ChangedObjects(s.K, model.TaskID(a), nil)
					if len(c.Log) != len(s.Log) {
						changed = append(changed, model.Access{Kind: model.ObjLabel, Op: model.Write, ID: model.AnyID})
					}
					for _, ch := range changed {
						covered := false
						for _, x := range fp {
							if model.Covers(x, ch) {
								covered = true
								break
							}
						}
						if !covered {
							t.Fatalf("T%d's step %q changed %v, not in its footprint %v", a, s.K.StepName(model.TaskID(a)), ch, fp)
						}
					}
				}
			})
			t.Logf("%d states", n)
		})
	}
}

// TestIndependentStepsCommute: two enabled tasks whose next steps do not
// conflict commute and do not disable each other.
func TestIndependentStepsCommute(t *testing.T) {
	ws := porWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(ws)) {
		w := ws[name]
		t.Run(name, func(t *testing.T) {
			pairs := 0
			n := porVisit(t, w, porLimit(), func(s *World) {
				en := s.Enabled(nil)
				fps := make([][]model.Access, len(en))
				for i, a := range en {
					fps[i] = s.nextFootprint(model.TaskID(a), nil)
				}
				for i, a := range en {
					for j, b := range en {
						if j <= i || model.Conflicts(fps[i], fps[j]) {
							continue
						}
						pairs++
						sa, sb := s.CloneWorld(), s.CloneWorld()
						sa.Step(a)
						sb.Step(b)
						if !slices.Contains(sa.Enabled(nil), b) || !slices.Contains(sb.Enabled(nil), a) {
							t.Fatalf("independent T%d (%s) and T%d (%s): one disables the other", a, s.K.StepName(model.TaskID(a)), b, s.K.StepName(model.TaskID(b)))
						}
						sa.Step(b)
						sb.Step(a)
						if string(sa.AppendKey(nil)) != string(sb.AppendKey(nil)) || sa.K.Cover != sb.K.Cover {
							t.Fatalf("independent T%d (%s, %v) and T%d (%s, %v) do not commute", a, s.K.StepName(model.TaskID(a)), fps[i], b, s.K.StepName(model.TaskID(b)), fps[j])
						}
					}
				}
			})
			t.Logf("%d states, %d independent pairs", n, pairs)
		})
	}
}

// TestFuturesCoverEverything: a future covers the next step, and futures
// only shrink along steps (a new task's future is within its creator's).
func TestFuturesCoverEverything(t *testing.T) {
	ws := porWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(ws)) {
		w := ws[name]
		t.Run(name, func(t *testing.T) {
			n := porVisit(t, w, porLimit()/2, func(s *World) {
				s.futures()
				fut := make([][]model.Access, len(s.por.fut))
				for u := range fut {
					fut[u] = append([]model.Access(nil), s.por.fut[u]...)
				}
				nt, ng := s.K.NumTasks(), s.K.NumGroups()
				// Fresh objects: created after s, or a child its fork had
				// not committed at s (nothing but its fork can touch it).
				fresh := func(kind model.ObjKind, id int32) bool {
					switch kind {
					case model.ObjTask, model.ObjSig, model.ObjFam, model.ObjWalkPos, model.ObjChildren:
						return int(id) >= nt || s.K.Task(model.TaskID(id)).Group == model.NoGroup || s.K.Task(model.TaskID(id)).Newborn()
					case model.ObjGroup, model.ObjGSig:
						if int(id) >= ng {
							return true
						}
						for x := 0; x < nt; x++ {
							if tk := s.K.Task(model.TaskID(x)); int32(tk.Group) == id && tk.Newborn() {
								return true // the group of a child not yet woken
							}
						}
						return false
					}
					return false
				}
				never := func(model.ObjKind, int32) bool { return false }
				within := func(part, whole []model.Access, fresh func(model.ObjKind, int32) bool) (model.Access, bool) {
					for _, x := range part {
						ok := false
						for _, f := range whole {
							if model.Subsumes(f, x, fresh) {
								ok = true
								break
							}
						}
						if !ok {
							return x, false
						}
					}
					return model.Access{}, true
				}
				for _, a := range s.Enabled(nil) {
					next := s.nextFootprint(model.TaskID(a), nil)
					if x, ok := within(next, fut[a], never); !ok {
						t.Fatalf("T%d's next step (%s) does %v, outside its future", a, s.K.StepName(model.TaskID(a)), x)
					}
					c := s.CloneWorld()
					c.Step(a)
					c.futures()
					for u := range c.por.fut {
						whole := fut[a]
						if u < len(fut) && !fresh(model.ObjTask, int32(u)) {
							whole = fut[u]
						} else if u < len(fut) {
							// A child of a fork in flight at s: its forker's
							// future covers it.
							for f := range fut {
								if fr := s.K.Task(model.TaskID(f)).Frame; fr.Path == model.KFork && fr.Child == model.TaskID(u) {
									whole = fut[f]
								}
							}
						}
						if x, ok := within(c.por.fut[u], whole, fresh); !ok {
							t.Fatalf("after T%d's step (%s), T%d's future has %v, outside its future before (%s)", a, s.K.StepName(model.TaskID(a)), u, x, describeFut(whole))
						}
					}
				}
			})
			t.Logf("%d states", n)
		})
	}
}

func describeFut(f []model.Access) string {
	var parts []string
	for _, a := range f {
		parts = append(parts, a.String())
	}
	return strings.Join(parts, ", ")
}

// persistentPlain is Persistent as first written, without its shortcuts
// (the futures' index, rows of conflicts worked out when needed): every
// next step against every future with model.Conflicts, every enabled task
// tried as the seed. TestPersistentAgreesWithPlain holds Persistent to it.
func persistentPlain(w *World, en []int) []int {
	n := w.K.NumTasks()
	next := make([][]model.Access, len(en))
	for i, a := range en {
		next[i] = w.nextFootprint(model.TaskID(a), nil)
	}
	fut := plainFutures(w)
	conf := make([]bool, len(en)*n)
	for i, a := range en {
		for u := 0; u < n; u++ {
			conf[i*n+u] = u != a && model.Conflicts(next[i], fut[u])
		}
	}
	enIdx := make([]int, n)
	for u := range enIdx {
		enIdx[u] = -1
	}
	for i, a := range en {
		enIdx[a] = i
	}
	wakes := func(v, u int) bool {
		return model.Conflicts(fut[v], w.enableFootprint(model.TaskID(u), nil))
	}
	closure := func(seed int) ([]int, bool) {
		in := make([]bool, n)
		cur := []int{en[seed]}
		in[en[seed]] = true
		add := func(v int) bool {
			if in[v] {
				return true
			}
			if enIdx[v] < 0 {
				return false
			}
			in[v] = true
			cur = append(cur, v)
			return true
		}
		ok := true
		for j := 0; j < len(cur) && ok; j++ {
			i := enIdx[cur[j]]
			for u := 0; u < n && ok; u++ {
				if in[u] || !conf[i*n+u] {
					continue
				}
				if enIdx[u] >= 0 {
					add(u)
					continue
				}
				for v := 0; v < n && ok; v++ {
					if v != u && wakes(v, u) {
						ok = add(v)
					}
				}
			}
		}
		return cur, ok
	}
	var best []int
	for seed := range en {
		cur, ok := closure(seed)
		if ok && (len(best) == 0 || len(cur) < len(best)) {
			best = append(best[:0], cur...)
			if len(best) == 1 {
				break
			}
		}
	}
	if len(best) == 0 || len(best) == len(en) {
		return append([]int(nil), en...)
	}
	var out []int
	for _, a := range en {
		if slices.Contains(best, a) {
			out = append(out, a)
		}
	}
	return out
}

// plainFutures returns every task's future as World.futures first
// worked it out: every future again whenever a task's mayDie turns true,
// signalled over the plain accesses. It uses w's scratch space.
func plainFutures(w *World) [][]model.Access {
	k := w.K
	n := k.NumTasks()
	ps := &w.por
	ps.mayDie = make([]bool, n)
	fut := make([][]model.Access, n)
	for t := 0; t < n; t++ {
		id := model.TaskID(t)
		ps.mayDie[t] = k.Task(id).Group != model.NoGroup && k.Doomed(id)
		fut[t], _ = w.ownFuture(id, nil)
	}
	signalled := func(t model.TaskID) bool {
		tk := k.Task(t)
		if tk.Group == model.NoGroup {
			return false
		}
		g := int32(tk.Group)
		for u, f := range fut {
			if model.TaskID(u) == t {
				continue
			}
			for _, a := range f {
				switch {
				case a.Kind == model.ObjAny && a.Op != model.Read,
					a.Kind == model.ObjSig && a.Op != model.Read && (a.ID == int32(t) || a.ID == model.AnyID),
					a.Kind == model.ObjGSig && a.Op != model.Read && (a.ID == g || a.ID == model.AnyID):
					return true
				}
			}
		}
		return false
	}
	for changed := true; changed; {
		changed = false
		for t := 0; t < n; t++ {
			if ps.mayDie[t] || !signalled(model.TaskID(t)) {
				continue
			}
			ps.mayDie[t] = true
			changed = true
		}
		if changed {
			for t := 0; t < n; t++ {
				if ps.mayDie[t] {
					fut[t], _ = w.ownFuture(model.TaskID(t), nil)
				}
			}
		}
	}
	return fut
}

// TestFuturesAgreeWithPlain: World.futures works out the futures
// plainFutures does, on every state of the porWorlds, with the scratch
// space of the state before (see TestPersistentAgreesWithPlain).
func TestFuturesAgreeWithPlain(t *testing.T) {
	skipUnderRace(t)
	ws := porWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(ws)) {
		w := ws[name]
		t.Run(name, func(t *testing.T) {
			mayDie := 0
			var r *World // each state in turn, with the scratch space of the one before
			n := porVisit(t, w, 2*porLimit(), func(s *World) {
				want := plainFutures(s.CloneWorld())
				r = reuse(r, s)
				r.futures()
				s = r
				if len(s.por.fut) != len(want) {
					t.Fatalf("%d futures, want %d", len(s.por.fut), len(want))
				}
				for u := range want {
					if !slices.Equal(s.por.fut[u], want[u]) {
						t.Fatalf("T%d's future is %s, want %s", u, describeFut(s.por.fut[u]), describeFut(want[u]))
					}
					if s.por.mayDie[u] {
						mayDie++
					}
				}
			})
			t.Logf("%d states, %d tasks that may die", n, mayDie)
		})
	}
}

// reuse returns a copy of s in r (CloneInto: r keeps its scratch space,
// as a world the explorer recycles does), or a new copy if r is nil.
func reuse(r, s *World) *World {
	if r == nil {
		return s.CloneWorld()
	}
	return s.CloneInto(r).(*World)
}

// TestPersistentAgreesWithPlain: Persistent, with its shortcuts and the
// scratch space it keeps from state to state, picks the same set as
// persistentPlain on every state of the porWorlds (visited breadth first,
// each copied into one world whose scratch space has just served the
// state before: a different one, with as many tasks or fewer or more).
func TestPersistentAgreesWithPlain(t *testing.T) {
	skipUnderRace(t)
	ws := porWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(ws)) {
		w := ws[name]
		t.Run(name, func(t *testing.T) {
			reduced := 0
			var r *World // each state in turn, with the scratch space of the one before
			n := porVisit(t, w, 4*porLimit(), func(s *World) {
				en := s.Enabled(nil)
				if len(en) == 0 {
					return
				}
				want := persistentPlain(s.CloneWorld(), en)
				r = reuse(r, s)
				s = r
				got := s.Persistent(en, nil)
				if !slices.Equal(got, want) {
					t.Fatalf("Persistent(%v) = %v, want %v", en, got, want)
				}
				// Again, with the scratch space of the call just made.
				if again := s.Persistent(en, nil); !slices.Equal(again, want) {
					t.Fatalf("Persistent(%v) again = %v, want %v", en, again, want)
				}
				if len(got) < len(en) {
					reduced++
				}
			})
			t.Logf("%d states, %d reduced", n, reduced)
		})
	}
}

// TestFootprintConflicts: model.Footprint answers model.Conflicts, both
// ways round, for every pair among the next steps, futures and
// enabledness footprints of every state of the porWorlds, and Modifies
// as a scan of the accesses would.
func TestFootprintConflicts(t *testing.T) {
	skipUnderRace(t)
	ws := porWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(ws)) {
		w := ws[name]
		t.Run(name, func(t *testing.T) {
			var f model.Footprint
			pairs := 0
			n := porVisit(t, w, porLimit()/2, func(s *World) {
				var fps [][]model.Access
				for _, a := range s.Enabled(nil) {
					fps = append(fps, s.nextFootprint(model.TaskID(a), nil))
				}
				fps = append(fps, plainFutures(s)...)
				for u := 0; u < s.K.NumTasks(); u++ {
					fps = append(fps, s.enableFootprint(model.TaskID(u), nil))
				}
				for _, a := range fps {
					f.Reset(a) // reused: Reset must forget the last one
					for kind := model.ObjKind(1); kind < model.NumObjKinds; kind++ {
						for id := model.ElemTail; id < int32(s.K.NumTasks()+2); id++ {
							want := false
							for _, x := range a {
								if x.Op != model.Read && (x.Kind == model.ObjAny || x.Kind == kind && (x.ID == id || x.ID == model.AnyID)) {
									want = true
								}
							}
							if got := f.Modifies(kind, id); got != want {
								t.Fatalf("Footprint(%s).Modifies(%v, %d) = %v, want %v", describeFut(a), kind, id, got, want)
							}
						}
					}
					for _, b := range fps {
						pairs++
						if got, want := f.Conflicts(b), model.Conflicts(b, a); got != want {
							t.Fatalf("Footprint(%s).Conflicts(%s) = %v, Conflicts = %v", describeFut(a), describeFut(b), got, want)
						}
						if got, want := f.Conflicts(b), model.Conflicts(a, b); got != want {
							t.Fatalf("Footprint(%s).Conflicts(%s) = %v, Conflicts the other way = %v", describeFut(a), describeFut(b), got, want)
						}
					}
				}
			})
			t.Logf("%d states, %d pairs", n, pairs)
		})
	}
}

// skipUnderRace skips a check that compares two computations state by
// state on one goroutine: the three such checks take two minutes under
// the race detector, which has nothing to find in them (see
// TestReducedAgreesWithFull); go test without -race runs them.
func skipUnderRace(t *testing.T) {
	t.Helper()
	if raceOn {
		t.Skip("skipped under -race: a single-goroutine comparison (see skipUnderRace)")
	}
}
