//go:build linux

package conform

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"cgsim/hostlinux"
	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// Unsupported is why a scenario cannot run on real processes.
type Unsupported struct{ Reason string }

// Error says the scenario cannot run on real processes, and why.
func (u *Unsupported) Error() string { return "cannot run on real processes: " + u.Reason }

// Observation is what one run lets an observer see, as sorted lines:
//
//	call LABEL: RESULT[ | RESULT...]      the distinct results of the call
//	task NAME: FATE                       a task of the scenario's setup
//	forked: FATE[ | FATE...]              the distinct fates of the
//	                                      processes forked while it ran
//	cgroup PATH: populated N frozen N TYPE
type Observation []string

// Plan makes the real-kernel plan of scenario s built under opts, after
// checking that every part of it can run on real processes. The world is
// built with the scenario's init at the pid namespace level it has on the
// real kernel (hostlinux.ScenarioInitLevel: pid 1 of a namespace below the
// harness's), so that both sides count MAX_PID_NS_LEVEL from the same
// depth; the tasks above it (Setup.Hosts) are left out of observations.
func Plan(s *scenarios.Scenario, opts model.Options) (*hostlinux.ScenarioPlan, *sim.World, error) {
	p, w, _, err := plan(s, opts)
	return p, w, err
}

func plan(s *scenarios.Scenario, opts model.Options) (*hostlinux.ScenarioPlan, *sim.World, *scenarios.Setup, error) {
	if s.BuildSetup == nil {
		return nil, nil, nil, &Unsupported{"it is built by Go code, not read from a scenario file"}
	}
	if def := model.DefaultOptions().PidMax; s.Options.PidMax != 0 && s.Options.PidMax != def {
		// The scenario counts on pid numbers wrapping at its own limit
		// (pidfd_test's recycled pid); the real one is a global sysctl.
		return nil, nil, nil, &Unsupported{fmt.Sprintf("it sets kernel pid_max %d; this machine's pid_max is a global sysctl (kernel.pid_max) the harness does not change", s.Options.PidMax)}
	}
	w, setup, err := s.BuildSetup(opts, hostlinux.ScenarioInitLevel())
	if err != nil {
		return nil, nil, nil, err
	}
	if err := check(w, setup); err != nil {
		return nil, nil, nil, err
	}
	p := &hostlinux.ScenarioPlan{Programs: w.Progs, NSTask: map[int32]string{}}
	for _, c := range setup.Cgroups {
		pc := hostlinux.PlanCgroup{Path: c.Path}
		for _, wr := range c.Writes {
			pc.Writes = append(pc.Writes, hostlinux.PlanWrite{File: wr.File.String(), Value: wr.Value})
		}
		p.Cgroups = append(p.Cgroups, pc)
	}
	for _, t := range setup.Tasks {
		pt := hostlinux.PlanTask{Name: t.Name, ID: int32(t.ID), Prog: t.Prog, Parent: t.Parent,
			Cgroup: t.Cgroup, NewPidNS: t.NewPidNS, SetnsTo: t.SetnsTo, Settle: t.Settle, ThreadProg: -1, V1: t.V1}
		for _, th := range w.K.Threads(t.ID) {
			if th != t.ID {
				// The builder's threads all run the same pause program.
				pt.Threads++
				pt.ThreadProg = w.K.Task(th).User.Prog
			}
		}
		p.Tasks = append(p.Tasks, pt)
		ns := int32(w.K.Task(t.ID).NS)
		if _, ok := p.NSTask[ns]; !ok {
			p.NSTask[ns] = t.Name
		}
	}
	if err := p.Check(); err != nil {
		var r *hostlinux.Refusal
		if errors.As(err, &r) {
			return nil, nil, nil, &Unsupported{r.Reason}
		}
		return nil, nil, nil, err
	}
	return p, w, setup, nil
}

// check returns an *Unsupported for what real processes of this machine
// cannot do, or would do differently for reasons that are not the
// kernel's; the program-level checks are the C interpreter's
// (hostlinux.ScenarioPlan.Check).
func check(w *sim.World, setup *scenarios.Setup) error {
	for _, p := range w.Progs {
		for pc, in := range p.Code {
			if in.Op == sim.OpOOM {
				return &Unsupported{oomReason(p.Name, pc)}
			}
		}
	}
	for _, t := range setup.Tasks {
		if t.CoreUnlimited {
			return &Unsupported{fmt.Sprintf("task %s has rlimit_core: unlimited: a core dump would write a core file where core_pattern (global, not changed by the harness) says; the interpreter keeps RLIMIT_CORE 0", t.Name)}
		}
		if t.OomScoreAdj != 0 {
			return &Unsupported{fmt.Sprintf("task %s sets oom_score_adj, which the harness does not write (it matters only to an OOM, which the harness cannot trigger)", t.Name)}
		}
	}
	for _, t := range setup.Tasks {
		switch {
		case t.Kthread:
			return &Unsupported{fmt.Sprintf("task %s is a kernel thread, which user space cannot create", t.Name)}
		case t.Killer:
			return &Unsupported{fmt.Sprintf("task %s runs a userspace killer (`simrun conform killers` compares those)", t.Name)}
		case t.V1 != "":
			if err := hostlinux.HaveScenarioV1(); err != nil {
				return &Unsupported{fmt.Sprintf("task %s is placed in v1 cgroups (v1: %s): %v", t.Name, t.V1, err)}
			}
		}
	}
	for _, c := range setup.Cgroups {
		for _, wr := range c.Writes {
			if err := checkFile(c.Path, wr.File, true, wr.Value); err != nil {
				return err
			}
		}
	}
	for _, p := range w.Progs {
		for pc, in := range p.Code {
			if (in.Op == sim.OpWrite || in.Op == sim.OpRead) && in.Path != "" {
				value := in.Str
				if in.Op == sim.OpWrite && in.Reg > 0 {
					// A pid the program got from a fork or getpid: the
					// real one on real processes.
					value = "0"
				}
				if err := checkFile(in.Path, in.File, in.Op == sim.OpWrite, value); err != nil {
					return &Unsupported{fmt.Sprintf("program of %s, instruction %d (%v): %s", p.Name, pc, in.Op, err.(*Unsupported).Reason)}
				}
			}
		}
	}
	return nil
}

// oomReason says why an OOM event (sim.OpOOM, at instruction pc of
// program prog) cannot run on real processes: the harness cannot make the
// kernel run out of memory at a given instruction, and here
// memory.oom.group does not exist anyway where the memory controller is
// bound to cgroup v1.
func oomReason(prog string, pc int) string {
	s := fmt.Sprintf("program of %s, instruction %d: an OOM event, which the harness cannot trigger on demand (a real allocation would have to exhaust memory.max at that instruction, and the kernel would choose the victim by real memory use)", prog, pc)
	var u *Unsupported
	if errors.As(needControllers("+memory"), &u) {
		s += "; and memory.oom.group " + u.Reason
	}
	return s
}

// checkFile checks an access to a cgroup file.
func checkFile(dir string, f model.CgroupFile, write bool, value string) error {
	name := f.String()
	switch {
	case strings.HasPrefix(name, "pids."):
		return needControllers("+pids")
	case strings.HasPrefix(name, "memory."):
		return needControllers("+memory")
	case dir == "/" && !write && (name == "cgroup.procs" || name == "cgroup.threads"):
		return &Unsupported{"reading /" + name + ": the scenario's root cgroup is the run's cgroup on the real kernel, and the root in the simulator, which also holds the tasks above the scenario's init"}
	case dir == "/" && name != "cgroup.procs" && name != "cgroup.threads" && name != "cgroup.subtree_control" && name != "cgroup.controllers" && name != "cgroup.stat":
		return &Unsupported{"/" + name + ": the scenario's root cgroup is a child cgroup on the real kernel, which has files the root has not"}
	case write && (name == "cgroup.procs" || name == "cgroup.threads") && value != "0":
		return &Unsupported{fmt.Sprintf("writing %q to %s: real pids differ (write \"0\", the writer itself)", value, name)}
	case write && name == "cgroup.subtree_control":
		return needControllers(value)
	}
	return nil
}

// needControllers checks that the controllers a subtree_control write
// enables are offered to a run on this machine's hierarchy.
func needControllers(value string) error {
	mnt, err := hostlinux.Mount()
	if err != nil {
		return nil // checked again when the run starts
	}
	b, _ := os.ReadFile(mnt + "/cgroup.subtree_control")
	have := strings.Fields(string(b))
	for _, c := range strings.Fields(value) {
		c = strings.TrimLeft(c, "+-")
		if !slices.Contains(have, c) {
			return &Unsupported{fmt.Sprintf("needs the %s controller, which the root of this machine's cgroup v2 hierarchy does not enable for its children (cgroup.subtree_control: %q; on a hybrid layout it is bound to cgroup v1)", c, strings.TrimSpace(string(b)))}
		}
	}
	return nil
}

// SimOutcome is one observation the simulator reaches, with the seeds
// that reached it.
type SimOutcome struct {
	Obs   Observation
	Seeds []uint64
	// Unseeable are the keys ("call LABEL") of calls every caller of
	// which died other than by its own exit (ranOn): a real program cannot
	// log the result of a call it does not return from (kill(2) of its own
	// cgroup), nor one whose result it had no time to log.
	Unseeable []string
}

// Simulate runs world w (built by Plan) on seeds 1..seeds to quiescence
// and returns the distinct observations, most frequent first; truncated
// counts runs that did not come to rest within maxSteps. hosts are the
// tasks above the scenario's init (scenarios.Setup.Hosts), which no
// observer on the real kernel sees. It clears w's properties and kill
// gate, which would end runs early.
func Simulate(w *sim.World, hosts []model.TaskID, seeds uint64, maxSteps int) (outs []SimOutcome, truncated int) {
	readOf := readFiles(w)
	w.Props, w.Gate = nil, nil
	byKey := map[string]int{}
	for seed := uint64(1); seed <= seeds; seed++ {
		res, fm := explore.RandomFinal(w, seed, maxSteps)
		if res.Truncated {
			truncated++
			continue
		}
		obs, unseeable := observeSim(fm.(*sim.World), hosts, readOf)
		key := strings.Join(obs, "\n") + "\x00" + strings.Join(unseeable, "\n")
		if i, ok := byKey[key]; ok {
			outs[i].Seeds = append(outs[i].Seeds, seed)
			continue
		}
		byKey[key] = len(outs)
		outs = append(outs, SimOutcome{Obs: obs, Seeds: []uint64{seed}, Unseeable: unseeable})
	}
	sort.SliceStable(outs, func(i, j int) bool { return len(outs[i].Seeds) > len(outs[j].Seeds) })
	return outs, truncated
}

// readFiles maps each label of a read to the file it reads.
func readFiles(w *sim.World) map[string]model.CgroupFile {
	m := map[string]model.CgroupFile{}
	for _, p := range w.Progs {
		for _, in := range p.Code {
			if in.Op == sim.OpRead && in.Label != "" {
				m[in.Label] = in.File
			}
		}
	}
	return m
}

// result renders one call's result: its errno, with a read's data (the
// contents of cgroup.procs reduced to their number of lines: the pids
// differ) or the text of a call's result checks.
func result(e model.Errno, data string, f model.CgroupFile, isRead bool) string {
	if e != model.OK {
		return e.String()
	}
	if !isRead {
		if data != "" {
			// A call's result checks (wait status, ret: of getpid and
			// the like, sim.Instr.Check), the same text on both sides.
			return fmt.Sprintf("OK %q", data)
		}
		return e.String()
	}
	if f == model.FileProcs {
		return fmt.Sprintf("OK %d pids", len(strings.Fields(data)))
	}
	return fmt.Sprintf("OK %q", data)
}

// fate renders how a process ended.
func fate(state model.ExitState, status int32, cg string) string {
	if state == model.ExitNone {
		return "alive in " + cg
	}
	if status < 0 {
		return "reaped, status unknown"
	}
	how := fmt.Sprintf("exited %d", status>>8&0xff)
	if sig := status & 0x7f; sig != 0 {
		how = "killed by " + model.Signal(sig).String()
	}
	if state == model.ExitZombie {
		return "zombie, " + how
	}
	return "reaped, " + how
}

type builder struct {
	calls  map[string][]string
	forked []string
	lines  []string
}

func (b *builder) call(label, r string) {
	if !slices.Contains(b.calls[label], r) {
		b.calls[label] = append(b.calls[label], r)
	}
}

func (b *builder) done() Observation {
	for l, rs := range b.calls {
		sort.Strings(rs)
		b.lines = append(b.lines, "call "+l+": "+strings.Join(rs, " | "))
	}
	if len(b.forked) > 0 {
		sort.Strings(b.forked)
		b.lines = append(b.lines, "forked: "+strings.Join(slices.Compact(b.forked), " | "))
	}
	sort.Strings(b.lines)
	return b.lines
}

func observeSim(w *sim.World, hosts []model.TaskID, readOf map[string]model.CgroupFile) (Observation, []string) {
	b := &builder{calls: map[string][]string{}}
	k := w.K
	survivor := map[string]bool{}
	for _, r := range w.Log {
		if r.Label == "" || r.Label == "wrong-kill" {
			continue
		}
		f, isRead := readOf[r.Label]
		b.call(r.Label, result(r.Err, r.Data, f, isRead))
		if ranOn(w, r.Task) {
			survivor[r.Label] = true
		}
	}
	var unseeable []string
	for l := range b.calls {
		if !survivor[l] {
			unseeable = append(unseeable, "call "+l)
		}
	}
	sort.Strings(unseeable)
	for t := 0; t < k.NumTasks(); t++ {
		id := model.TaskID(t)
		tk := k.Task(id)
		if tk.Group == model.NoGroup || tk.Flags&model.PF_KTHREAD != 0 || !k.IsLeader(id) || slices.Contains(hosts, id) {
			continue
		}
		f := groupFate(k, id)
		if name := processName(w, id); name != "" {
			b.lines = append(b.lines, "task "+name+": "+f)
		} else {
			b.forked = append(b.forked, f)
		}
	}
	for c := 0; c < k.NumCgroups(); c++ {
		cg := model.CgroupID(c)
		if !k.Cgroup(cg).Online {
			continue
		}
		populated := k.Populated(cg)
		if cg == model.RootCG && len(hosts) > 0 {
			// The hosts live in the root forever; the real run's cgroup,
			// which stands for the root, holds only the scenario's tasks.
			populated = int(k.Cgroup(cg).NrTasks) > len(hosts) ||
				slices.ContainsFunc(k.Children(cg), func(c model.CgroupID) bool { return k.Populated(c) })
		}
		b.lines = append(b.lines, cgroupLine(k.Path(cg), populated, k.Frozen(cg), k.Type(cg)))
	}
	return b.done(), unseeable
}

// processName is the name of the process that leader leads: its own, or,
// for a thread that took over its leader's pid by exec (de_thread), the
// name of the leader it took over from, as a pidfd of that leader now
// refers to it (hostlinux judges a setup process by its pidfd).
func processName(w *sim.World, leader model.TaskID) string {
	k := w.K
	for id := leader; ; {
		if name := w.Name(id); name != "" {
			return name
		}
		prev := model.NoTask
		for t := 0; t < k.NumTasks(); t++ {
			if k.ExecHeir(model.TaskID(t)) == id {
				prev = model.TaskID(t)
				break
			}
		}
		if prev == model.NoTask {
			return ""
		}
		id = prev
	}
}

// ranOn reports whether task t went on past every call it made, so that
// a real program logged their results: it is alive, or it ended by its
// own exit(2) or exit_group(2) (its pc is at that instruction, or past the
// end). A task killed by a signal, or by another thread's exit_group (the
// zap of do_group_exit), may have died right after a call returned and
// before it could log the result.
func ranOn(w *sim.World, t model.TaskID) bool {
	tk := w.K.Task(t)
	if w.K.Alive(t) {
		return true
	}
	code := w.Progs[tk.User.Prog].Code
	pc := int(tk.User.PC)
	return pc >= len(code) || code[pc].Op == sim.OpExit || code[pc].Op == sim.OpExitGroup
}

// groupFate is how the process led by leader ended, judged from its
// thread group as a pidfd's poll judges it (do_notify_pidfd, once
// thread_group_empty): alive while any thread has not exited, in the
// leader's cgroup (a leader that exited before its threads is a zombie
// whose process lives on); exiting while a thread is still on its way
// out; else the leader's exit state and code.
func groupFate(k *model.Kernel, leader model.TaskID) string {
	tk := k.Task(leader)
	exiting := false
	for _, th := range k.Threads(leader) {
		if t := k.Task(th); t.Exit == model.ExitNone {
			if t.Flags&model.PF_EXITING == 0 {
				return fate(model.ExitNone, 0, k.Path(tk.Cgroup))
			}
			exiting = true
		}
	}
	if exiting {
		return "exiting"
	}
	return fate(tk.Exit, tk.ExitCode, k.Path(tk.Cgroup))
}

func cgroupLine(path string, populated, frozen bool, typ string) string {
	if path == "/" {
		typ = "" // the run's cgroup stands for the root, which has no type
	}
	return strings.TrimSpace(fmt.Sprintf("cgroup %s: populated %d frozen %d %s", path, b2i(populated), b2i(frozen), typ))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func observeReal(o *hostlinux.RealOutcome, readOf map[string]model.CgroupFile) Observation {
	b := &builder{calls: map[string][]string{}}
	for _, c := range o.Calls {
		f, isRead := readOf[c.Label]
		b.call(c.Label, result(c.Errno, c.Data, f, isRead))
	}
	for _, t := range o.Tasks {
		f := fate(t.State, t.Status, t.Cgroup)
		if t.Setup {
			b.lines = append(b.lines, "task "+t.Name+": "+f)
		} else {
			b.forked = append(b.forked, f)
		}
	}
	for _, c := range o.Cgroups {
		b.lines = append(b.lines, cgroupLine(c.Path, c.Populated, c.Frozen, c.Type))
	}
	obs := b.done()
	if o.Unseen > 0 {
		i := slices.IndexFunc(obs, func(l string) bool { return strings.HasPrefix(l, "forked: ") })
		if i < 0 {
			obs = append(obs, "forked:")
			i = len(obs) - 1
		}
		obs[i] += fmt.Sprintf(" (+%d unseen)", o.Unseen)
		sort.Strings(obs)
	}
	return obs
}

// Matches reports whether the real observation is the simulated one,
// but for what a real run cannot see: results of calls whose callers all
// were killed (Unseeable), and the fates of unseen forked processes (the
// fates the real run saw must be among the simulated ones).
func Matches(real Observation, so SimOutcome) bool {
	return len(mismatches(real, so)) == 0
}

type diffLine struct{ real, sim string }

// lineKey is what a line is about: "cgroup PATH" (a path may hold ':'),
// "task NAME", "call LABEL" or "forked" (names and labels cannot).
func lineKey(l string) string {
	if strings.HasPrefix(l, "cgroup ") {
		if i := strings.LastIndex(l, ": populated "); i >= 0 {
			return l[:i]
		}
	}
	k, _, _ := strings.Cut(l, ":")
	return k
}

// mismatches pairs the lines of a real and a simulated observation by key
// (the text before ':') and returns the pairs that do not match.
func mismatches(real Observation, so SimOutcome) []diffLine {
	rm, sm := map[string]string{}, map[string]string{}
	var keys []string
	for _, l := range real {
		rm[lineKey(l)] = l
		keys = append(keys, lineKey(l))
	}
	for _, l := range so.Obs {
		if _, ok := rm[lineKey(l)]; !ok {
			keys = append(keys, lineKey(l))
		}
		sm[lineKey(l)] = l
	}
	sort.Strings(keys)
	var out []diffLine
	for _, k := range keys {
		r, si := rm[k], sm[k]
		switch {
		case r == si:
		case r == "" && slices.Contains(so.Unseeable, k):
		case k == "forked" && strings.HasSuffix(r, " unseen)") && subset(fates(r), fates(si)):
		default:
			out = append(out, diffLine{r, si})
		}
	}
	return out
}

// fates lists the fates of a "forked:" line.
func fates(l string) []string {
	_, v, _ := strings.Cut(l, ":")
	if i := strings.Index(v, "(+"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	return strings.Split(v, " | ")
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// Result is the comparison of one real run of a scenario.
type Result struct {
	Scenario string
	Options  model.Options
	// Real is the real kernel's observation; Problems what made the real
	// run incomplete (a disagreement too).
	Real     Observation
	Problems []string
	// Sim are the simulator's observations; Truncated the seeds whose run
	// did not come to rest.
	Sim       []SimOutcome
	Truncated int
	// Agree: the real observation is one of Sim and there is no problem;
	// Match is the index in Sim of the first outcome it matches (-1: none).
	Agree bool
	Match int
}

// Options tune Run.
type Options struct {
	// Seeds is the number of simulator schedules (default 100); MaxSteps
	// the step limit of each (default the scenario's).
	Seeds    uint64
	MaxSteps int
}

// Prepared is a scenario ready to be compared, any number of times: its
// real-kernel plan and the outcomes the simulator reaches.
type Prepared struct {
	Scenario string
	Options  model.Options
	Plan     *hostlinux.ScenarioPlan
	// Sim are the simulator's observations, most schedules first;
	// Truncated the seeds whose run did not come to rest.
	Sim       []SimOutcome
	Truncated int
	readOf    map[string]model.CgroupFile
}

// Prepare plans scenario s under the kernel options opts (those detected
// for the running kernel) and simulates it. An *Unsupported error says
// why it cannot run on real processes.
func Prepare(s *scenarios.Scenario, opts model.Options, o Options) (*Prepared, error) {
	if o.Seeds == 0 {
		o.Seeds = 100
	}
	if o.MaxSteps == 0 {
		o.MaxSteps = s.Steps()
	}
	p, w, setup, err := plan(s, opts)
	if err != nil {
		return nil, err
	}
	pr := &Prepared{Scenario: s.Name, Options: opts, Plan: p, readOf: readFiles(w)}
	pr.Sim, pr.Truncated = Simulate(w, setup.Hosts, o.Seeds, o.MaxSteps)
	return pr, nil
}

// RunReal runs the scenario once on real processes in run r and compares
// the outcome with the simulator's.
func (p *Prepared) RunReal(r *hostlinux.Run) (*Result, error) {
	real, err := hostlinux.RunScenario(r, p.Plan)
	if err != nil {
		var rf *hostlinux.Refusal
		if errors.As(err, &rf) {
			return nil, &Unsupported{rf.Reason}
		}
		return nil, err
	}
	res := &Result{Scenario: p.Scenario, Options: p.Options, Sim: p.Sim, Truncated: p.Truncated, Match: -1}
	res.Real = observeReal(real, p.readOf)
	res.Problems = real.Problems
	if len(res.Problems) == 0 {
		res.Match = slices.IndexFunc(res.Sim, func(so SimOutcome) bool { return Matches(res.Real, so) })
	}
	res.Agree = res.Match >= 0
	return res, nil
}

// Run compares scenario s under the kernel options opts (those detected
// for the running kernel) in run r, once. An *Unsupported error says why
// it cannot run on real processes.
func Run(r *hostlinux.Run, s *scenarios.Scenario, opts model.Options, o Options) (*Result, error) {
	p, err := Prepare(s, opts, o)
	if err != nil {
		return nil, err
	}
	return p.RunReal(r)
}

// Coverage is what several real runs of one scenario reached among the
// outcomes the simulator reaches. For a race the simulator has several
// outcomes; the real runs agree when each of theirs is one of them, and
// Coverage says which of them were seen and how often.
type Coverage struct {
	Scenario string `json:"scenario"`
	// Runs is the number of real runs; Agreed how many of them agreed.
	Runs   int `json:"runs"`
	Agreed int `json:"agreed"`
	// Schedules is the number of simulator schedules that came to rest.
	Schedules int `json:"schedules"`
	// Outcomes are the simulator's distinct observations, in the order of
	// Prepared.Sim (most schedules first), each with how many real runs
	// reached it.
	Outcomes []OutcomeCount `json:"outcomes"`
	// Disagreements are the distinct real observations that matched no
	// simulated outcome (or whose run had a problem), with how often.
	Disagreements []RealCount `json:"disagreements,omitempty"`
	// of maps an index of Prepared.Sim to one of Outcomes.
	of []int
}

// OutcomeCount is one simulated outcome and how often real runs reached it.
type OutcomeCount struct {
	// Name is A, B, ... in the simulator's order.
	Name      string      `json:"name"`
	Schedules int         `json:"schedules"`
	Runs      int         `json:"runs"`
	Obs       Observation `json:"observation"`
}

// RealCount is a real observation that disagreed, and how often.
type RealCount struct {
	Runs     int         `json:"runs"`
	Obs      Observation `json:"observation"`
	Problems []string    `json:"problems,omitempty"`
}

// NewCoverage starts the tally of prepared scenario p's real runs.
// Simulated outcomes with the same lines (they differ only in which calls
// no caller returned from) are one outcome here: a real run cannot tell
// them apart.
func NewCoverage(p *Prepared) *Coverage {
	c := &Coverage{Scenario: p.Scenario}
	byObs := map[string]int{}
	for _, so := range p.Sim {
		c.Schedules += len(so.Seeds)
		key := strings.Join(so.Obs, "\n")
		i, ok := byObs[key]
		if !ok {
			i = len(c.Outcomes)
			byObs[key] = i
			c.Outcomes = append(c.Outcomes, OutcomeCount{Name: outcomeName(i), Obs: so.Obs})
		}
		c.Outcomes[i].Schedules += len(so.Seeds)
		c.of = append(c.of, i)
	}
	return c
}

// outcomeName is A..Z, then AA, AB, ...
func outcomeName(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return outcomeName(i/26-1) + string(rune('A'+i%26))
}

// Add counts one real run's result.
func (c *Coverage) Add(r *Result) {
	c.Runs++
	if r.Agree && r.Match < len(c.of) {
		c.Agreed++
		c.Outcomes[c.of[r.Match]].Runs++
		return
	}
	for i := range c.Disagreements {
		d := &c.Disagreements[i]
		if slices.Equal(d.Obs, r.Real) && slices.Equal(d.Problems, r.Problems) {
			d.Runs++
			return
		}
	}
	c.Disagreements = append(c.Disagreements, RealCount{Runs: 1, Obs: r.Real, Problems: r.Problems})
}

// Agree reports whether every real run agreed (and there was one).
func (c *Coverage) Agree() bool { return c.Runs > 0 && c.Agreed == c.Runs }

// Seen is the number of simulated outcomes some real run reached.
func (c *Coverage) Seen() int {
	n := 0
	for _, o := range c.Outcomes {
		if o.Runs > 0 {
			n++
		}
	}
	return n
}

// Summary says which simulated outcomes the agreeing runs reached, most
// often first: "3 of 5 simulated outcomes seen over 20 runs: A ×12, B ×7,
// C ×1".
func (c *Coverage) Summary() string {
	seen := []OutcomeCount{}
	for _, o := range c.Outcomes {
		if o.Runs > 0 {
			seen = append(seen, o)
		}
	}
	sort.SliceStable(seen, func(i, j int) bool { return seen[i].Runs > seen[j].Runs })
	var parts []string
	for _, o := range seen {
		parts = append(parts, fmt.Sprintf("%s ×%d", o.Name, o.Runs))
	}
	runs := "runs"
	if c.Agreed == 1 {
		runs = "run"
	}
	over := fmt.Sprintf("over %d %s", c.Agreed, runs)
	if c.Agreed != c.Runs {
		over = fmt.Sprintf("over the %d %s that agree", c.Agreed, runs)
	}
	s := fmt.Sprintf("%d of %d simulated outcomes seen %s", c.Seen(), len(c.Outcomes), over)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

// Report writes the tally: the verdict with the summary, and, where the
// simulator has several outcomes, what sets each apart (the lines not
// common to all of them); verbose adds the whole observation of every
// outcome a real run reached.
func (c *Coverage) Report(w io.Writer, verbose bool) {
	if c.Agree() {
		fmt.Fprintf(w, "agree     %s: %s (%d schedules)\n", c.Scenario, c.Summary(), c.Schedules)
	} else {
		fmt.Fprintf(w, "DISAGREE  %s: %d of %d runs disagree; %s\n", c.Scenario, c.Runs-c.Agreed, c.Runs, c.Summary())
	}
	common := map[string]int{}
	for _, o := range c.Outcomes {
		for _, l := range o.Obs {
			common[l]++
		}
	}
	for _, o := range c.Outcomes {
		if len(c.Outcomes) > 1 {
			var own []string
			for _, l := range o.Obs {
				if common[l] < len(c.Outcomes) {
					own = append(own, l)
				}
			}
			if len(own) == 0 {
				own = []string{"(only the lines common to all)"}
			}
			fmt.Fprintf(w, "  %s ×%d (%d schedules): %s\n", o.Name, o.Runs, o.Schedules, strings.Join(own, "; "))
		}
		if verbose && o.Runs > 0 {
			if len(c.Outcomes) == 1 {
				fmt.Fprintf(w, "  %s ×%d (%d schedules):\n", o.Name, o.Runs, o.Schedules)
			}
			for _, l := range o.Obs {
				fmt.Fprintf(w, "      %s\n", l)
			}
		}
	}
	for _, d := range c.Disagreements {
		fmt.Fprintf(w, "  matched none ×%d: %s\n", d.Runs, strings.Join(append(append([]string(nil), d.Problems...), d.Obs...), "; "))
	}
}

// Closest is the index in Sim of the outcome that differs from Real in
// the fewest lines (-1 if there is none).
func (r *Result) Closest() int {
	best, bestN := -1, 0
	for i, so := range r.Sim {
		n := len(mismatches(r.Real, so))
		if best < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	return best
}

// Report writes the verdict; on a disagreement, the real observation
// side by side with the closest simulated one.
func (r *Result) Report(w io.Writer, verbose bool) {
	n := 0
	for _, so := range r.Sim {
		n += len(so.Seeds)
	}
	if r.Agree {
		fmt.Fprintf(w, "agree     %s: the real outcome is one of the %d the simulator reaches (%d schedules)\n", r.Scenario, len(r.Sim), n)
		if verbose {
			for _, l := range r.Real {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
		return
	}
	fmt.Fprintf(w, "DISAGREE  %s\n", r.Scenario)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  real run: %s\n", p)
	}
	if r.Truncated > 0 {
		fmt.Fprintf(w, "  simulator: %d schedules did not come to rest\n", r.Truncated)
	}
	c := r.Closest()
	if c < 0 {
		fmt.Fprintf(w, "  the simulator reached no outcome to compare with\n")
		return
	}
	so := r.Sim[c]
	d := mismatches(r.Real, so)
	keys := map[string]bool{}
	for _, l := range append(append(Observation(nil), r.Real...), so.Obs...) {
		keys[lineKey(l)] = true
	}
	fmt.Fprintf(w, "  closest of the simulator's %d outcomes: seed %d (and %d more seeds); %d of %d lines agree\n",
		len(r.Sim), so.Seeds[0], len(so.Seeds)-1, len(keys)-len(d), len(keys))
	width := len("real kernel")
	for _, l := range d {
		width = max(width, len(l.real))
	}
	fmt.Fprintf(w, "  %-*s | %s\n", width, "real kernel", "simulator")
	for _, l := range d {
		re, si := l.real, l.sim
		if re == "" {
			re = "(none)"
		}
		if si == "" {
			si = "(none)"
		}
		fmt.Fprintf(w, "  %-*s | %s\n", width, re, si)
	}
}
