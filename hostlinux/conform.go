//go:build linux

package hostlinux

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"cgsim/killer"
	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// Setup is a machine both the simulator and the real kernel can build: a
// target cgroup tree (relative to the run) with sleeping processes in it.
// Each process of Procs is a helper that forks Children sleeping children
// and then sleeps itself.
type Setup struct {
	Name     string
	Target   string
	Cgroups  []string // created in order
	Threaded []string // made threaded after creation
	Procs    []Proc
}

// Proc is a sleeping process of a Setup.
type Proc struct {
	Cgroup   string
	Children int
}

// Setups are the killer conformance machines.
var Setups = []Setup{
	{Name: "sleepers", Target: "/t", Cgroups: []string{"/t"},
		Procs: []Proc{{"/t", 0}, {"/t", 0}, {"/t", 0}}},
	{Name: "tree", Target: "/t", Cgroups: []string{"/t", "/t/a", "/t/b"},
		Procs: []Proc{{"/t/a", 1}, {"/t/b", 0}, {"/t/b", 2}}},
	{Name: "threaded", Target: "/d/t", Cgroups: []string{"/d", "/d/t"}, Threaded: []string{"/d/t"},
		Procs: []Proc{{"/d/t", 0}}},
}

// Verdict is an outcome and, for "gave up", the errno.
type Verdict struct {
	Outcome killer.Outcome
	Errno   model.Errno
}

func (v Verdict) String() string {
	if v.Outcome == killer.GaveUp {
		return "gave up (" + v.Errno.String() + ")"
	}
	return v.Outcome.String()
}

// Simulate explores the setup with killer k in the simulator under opts,
// seeds 1..seeds, and returns the verdicts it can end with, sorted.
func Simulate(s Setup, k killer.Killer, opts model.Options, seeds uint64) ([]Verdict, error) {
	w := sim.NewWorld(opts)
	init := w.Init("init", w.AddProgram("init", sim.IgnoreSIGCHLDThenPause()))
	w.Settle(init, 10)
	cgs := map[string]model.CgroupID{"/": model.RootCG}
	for _, p := range s.Cgroups {
		i := strings.LastIndexByte(p, '/')
		parent := p[:i]
		if parent == "" {
			parent = "/"
		}
		cg, err := w.Mkdir(init, cgs[parent], p[i+1:])
		if err != nil {
			return nil, err
		}
		cgs[p] = cg
	}
	for _, p := range s.Threaded {
		if err := w.Write(init, cgs[p], model.FileType, "threaded"); err != nil {
			return nil, err
		}
	}
	pause := w.AddProgram("pause", sim.PauseForever())
	for i, p := range s.Procs {
		t, err := w.Spawn(init, fmt.Sprintf("proc%d", i), pause, model.CLONE_INTO_CGROUP, cgs[p.Cgroup])
		if err != nil {
			return nil, err
		}
		for c := 0; c < p.Children; c++ {
			if _, err := w.Spawn(t, fmt.Sprintf("proc%d.%d", i, c), pause, 0, model.NoCgroup); err != nil {
				return nil, err
			}
		}
	}
	for t := 0; t < w.K.NumTasks(); t++ {
		w.Settle(model.TaskID(t), 10)
	}
	kt, err := w.Spawn(init, "killer", pause, 0, model.NoCgroup)
	if err != nil {
		return nil, err
	}
	killer.Drive(w, kt, k, killer.Target{Cgroup: s.Target}, 0)
	seen := map[Verdict]bool{}
	for seed := uint64(1); seed <= seeds; seed++ {
		res, fm := explore.RandomFinal(w, seed, 20000)
		fw := fm.(*sim.World)
		o, _ := killer.Classify(fw, kt, k, cgs[s.Target], res.Truncated)
		v := Verdict{Outcome: o}
		if o == killer.GaveUp {
			_, st := fw.DrivenDone(kt)
			v.Errno = model.Errno(st)
		}
		seen[v] = true
	}
	var out []Verdict
	for v := range seen {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// RunReal builds the setup in run r with real helper processes, runs
// killer k in this process against it through a Host, and says how it
// ended, with a description of what was seen.
func RunReal(r *Run, s Setup, k killer.Killer) (Verdict, string, error) {
	for _, p := range s.Cgroups {
		if err := os.Mkdir(r.Path(p), 0o755); err != nil {
			return Verdict{}, "", err
		}
	}
	for _, p := range s.Threaded {
		if err := os.WriteFile(r.Path(p+"/cgroup.type"), []byte("threaded"), 0); err != nil {
			return Verdict{}, "", fmt.Errorf("%s: cgroup.type: %w", p, err)
		}
	}
	want := 0
	for _, p := range s.Procs {
		if _, err := r.Start(p.Cgroup, fmt.Sprintf("fork:%d", p.Children)); err != nil {
			return Verdict{}, "", err
		}
		want += 1 + p.Children
	}
	// Let every helper fork its children and go to sleep.
	deadline := time.Now().Add(5 * time.Second)
	for countProcs(r, s) < want {
		if time.Now().After(deadline) {
			return Verdict{}, "", fmt.Errorf("%s: the helpers did not start", s.Name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	h := &Host{Run: r}
	err := k.Run(h, killer.Target{Cgroup: s.Target})
	h.Close()
	if len(h.Refused) > 0 {
		return Verdict{Outcome: killer.WrongKill}, h.Refused[0], nil
	}
	// Let the signalled processes finish exiting.
	for i := 0; i < 200 && countProcs(r, s) > 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	left := countProcs(r, s)
	switch {
	case err != nil:
		return Verdict{Outcome: killer.GaveUp, Errno: killer.Errno(err)}, fmt.Sprintf("returned %v, %d process(es) left", err, left), nil
	case left > 0:
		return Verdict{Outcome: killer.Escaped}, fmt.Sprintf("%d process(es) left", left), nil
	case k.Removes && exists(r.Path(s.Target)):
		return Verdict{Outcome: killer.Leaked}, s.Target + " still exists", nil
	}
	return Verdict{Outcome: killer.Contained}, "", nil
}

// countProcs counts the processes listed in the setup's cgroups (in a
// threaded cgroup, where cgroup.procs cannot be read, its threads).
func countProcs(r *Run, s Setup) int {
	n := 0
	for _, p := range s.Cgroups {
		b, err := os.ReadFile(r.Path(p + "/cgroup.procs"))
		if err != nil {
			b, _ = os.ReadFile(r.Path(p + "/cgroup.threads"))
		}
		n += len(strings.Fields(string(b)))
	}
	return n
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
