// Package conform runs a scenario file twice, in the simulator and on the
// machine's real kernel (real helper processes executing the same
// programs, package hostlinux), and compares what both can observe: the
// result of every labelled call, how every process ended (alive and in
// which cgroup, or dead, of which signal or exit status, reaped or a
// zombie) and the state of every cgroup at the end. The real outcome
// must be one the simulator reaches on some schedule.
package conform

import (
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
// checking that every part of it can run on real processes.
func Plan(s *scenarios.Scenario, opts model.Options) (*hostlinux.ScenarioPlan, *sim.World, error) {
	if s.BuildSetup == nil {
		return nil, nil, &Unsupported{"it is built by Go code, not read from a scenario file"}
	}
	w, setup, err := s.BuildSetup(opts, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := check(w, setup); err != nil {
		return nil, nil, err
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
		p.Tasks = append(p.Tasks, hostlinux.PlanTask{Name: t.Name, ID: int32(t.ID), Prog: t.Prog, Parent: t.Parent,
			Cgroup: t.Cgroup, NewPidNS: t.NewPidNS, SetnsTo: t.SetnsTo, Settle: t.Settle})
		ns := int32(w.K.Task(t.ID).NS)
		if _, ok := p.NSTask[ns]; !ok {
			p.NSTask[ns] = t.Name
		}
	}
	return p, w, nil
}

// check returns an *Unsupported for what real helper processes cannot do
// or would do differently for reasons that are not the kernel's.
func check(w *sim.World, setup *scenarios.Setup) error {
	for _, t := range setup.Tasks {
		switch {
		case t.Kthread:
			return &Unsupported{fmt.Sprintf("task %s is a kernel thread, which user space cannot create", t.Name)}
		case t.Killer:
			return &Unsupported{fmt.Sprintf("task %s runs a userspace killer (`simrun conform killers` compares those)", t.Name)}
		case t.Threads > 0:
			return &Unsupported{fmt.Sprintf("task %s has extra threads: the helpers are Go programs, whose runtime threads would count with them", t.Name)}
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
			where := fmt.Sprintf("program of %s, instruction %d (%v)", p.Name, pc, in.Op)
			var why string
			switch in.Op {
			case sim.OpExit:
				why = "exit(2) of one thread: a Go helper's other threads are the runtime's"
			case sim.OpFork:
				if uint32(in.A)&model.CLONE_THREAD != 0 {
					why = "CLONE_THREAD: a helper's threads are the Go runtime's"
				}
			case sim.OpKill:
				if in.Target == model.NoTask && in.A != sim.PidLastChild {
					why = fmt.Sprintf("kill of the literal pid %d: real pids differ (use pid: child or a task name)", in.A)
				} else {
					why = checkSignal(model.Signal(in.B))
				}
			case sim.OpWait:
				if in.A != -1 && in.A != sim.PidLastChild {
					why = fmt.Sprintf("wait4 of the literal pid %d: real pids differ (use pid: child)", in.A)
				}
			case sim.OpReaddir, sim.OpPidfdOpen, sim.OpPidfdSend:
				why = "only driven (killer) tasks make this call"
			case sim.OpWaitCond:
				if in.A == sim.CondForkPastCanFork {
					why = "await fork-past-can-fork watches kernel state no program can see"
				}
			case sim.OpSigaction:
				switch sig := model.Signal(in.A); {
				case model.Disposition(in.B) == model.HandlerExit:
					why = "a handler that exits is not modelled on real processes"
				case checkSignal(sig) != "":
					why = checkSignal(sig)
				case sig != model.SIGCHLD && model.Disposition(in.B) != model.SigDefault && forks(p):
					why = fmt.Sprintf("%v ignored or handled by a program that forks: a forked helper takes its parent's dispositions only once it runs (exec resets handlers, and Go's fork path resets ignored signals it had handled)", sig)
				}
			case sim.OpWrite, sim.OpRead:
				if in.Path == "" {
					why = "a cgroup named by id, not by path"
				} else if err := checkFile(in.Path, in.File, in.Op == sim.OpWrite, in.Str); err != nil {
					return &Unsupported{where + ": " + err.(*Unsupported).Reason}
				}
			}
			if why != "" {
				return &Unsupported{where + ": " + why}
			}
		}
	}
	return nil
}

// realSignals are the signals a helper sees as a C program would: the
// Go runtime handles the others itself (SIGQUIT, SIGABRT, SIGSEGV, ...
// print a traceback and exit 2; SIGPIPE is dropped).
var realSignals = []model.Signal{model.SIGKILL, model.SIGTERM, model.SIGINT, model.SIGHUP, model.SIGUSR1,
	model.SIGUSR2, model.SIGALRM, model.SIGCHLD, model.SIGSTOP, model.SIGCONT}

func checkSignal(sig model.Signal) string {
	if sig == 0 || slices.Contains(realSignals, sig) {
		return ""
	}
	return fmt.Sprintf("%v: the Go runtime of the helpers handles it itself", sig)
}

// forks reports whether a program forks.
func forks(p sim.Program) bool {
	return slices.ContainsFunc(p.Code, func(in sim.Instr) bool { return in.Op == sim.OpFork })
}

// checkFile checks an access to a cgroup file.
func checkFile(dir string, f model.CgroupFile, write bool, value string) error {
	name := f.String()
	switch {
	case strings.HasPrefix(name, "pids."):
		return &Unsupported{name + ": the pids controller would count the Go runtime threads of the helpers"}
	case name == "cgroup.threads":
		return &Unsupported{"cgroup.threads lists the Go runtime threads of the helpers"}
	case dir == "/" && name != "cgroup.procs" && name != "cgroup.subtree_control" && name != "cgroup.controllers" && name != "cgroup.stat":
		return &Unsupported{"/" + name + ": the scenario's root cgroup is a child cgroup on the real kernel, which has files the root has not"}
	case write && name == "cgroup.procs" && value != "0":
		return &Unsupported{fmt.Sprintf("writing %q to cgroup.procs: real pids differ (write \"0\", the writer itself)", value)}
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
			return &Unsupported{fmt.Sprintf("needs the %s controller, which the root of this machine's cgroup v2 hierarchy does not enable for its children (cgroup.subtree_control: %q)", c, strings.TrimSpace(string(b)))}
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
	// which was killed by a signal: a real program cannot log the result
	// of a call it does not return from (kill(2) of its own cgroup).
	Unseeable []string
}

// Simulate runs world w (built by Plan) on seeds 1..seeds to quiescence
// and returns the distinct observations, most frequent first; truncated
// counts runs that did not come to rest within maxSteps. It clears w's
// properties and kill gate, which would end runs early.
func Simulate(w *sim.World, seeds uint64, maxSteps int) (outs []SimOutcome, truncated int) {
	readOf := readFiles(w)
	w.Props, w.Gate = nil, nil
	byKey := map[string]int{}
	for seed := uint64(1); seed <= seeds; seed++ {
		res, fm := explore.RandomFinal(w, seed, maxSteps)
		if res.Truncated {
			truncated++
			continue
		}
		obs, unseeable := observeSim(fm.(*sim.World), readOf)
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

// result renders one call's result; the contents of cgroup.procs are
// reduced to their number of lines (the pids differ).
func result(e model.Errno, data string, f model.CgroupFile, isRead bool) string {
	if !isRead || e != model.OK {
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

func observeSim(w *sim.World, readOf map[string]model.CgroupFile) (Observation, []string) {
	b := &builder{calls: map[string][]string{}}
	k := w.K
	survivor := map[string]bool{}
	for _, r := range w.Log {
		if r.Label == "" || r.Label == "wrong-kill" {
			continue
		}
		f, isRead := readOf[r.Label]
		b.call(r.Label, result(r.Err, r.Data, f, isRead))
		if tk := k.Task(r.Task); tk.Exit == model.ExitNone || tk.ExitCode&0x7f == 0 {
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
		if tk.Group == model.NoGroup || tk.Flags&model.PF_KTHREAD != 0 || !k.IsLeader(id) {
			continue
		}
		f := fate(tk.Exit, tk.ExitCode, k.Path(tk.Cgroup))
		if tk.Exit == model.ExitNone && tk.Flags&model.PF_EXITING != 0 {
			f = "exiting"
		}
		if name := w.Name(id); name != "" {
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
		b.lines = append(b.lines, cgroupLine(k.Path(cg), k.Populated(cg), k.Frozen(cg), k.Type(cg)))
	}
	return b.done(), unseeable
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

// Result is the comparison of one scenario.
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
	// Agree: the real observation is one of Sim and there is no problem.
	Agree bool
}

// Options tune Run.
type Options struct {
	// Seeds is the number of simulator schedules (default 100); MaxSteps
	// the step limit of each (default the scenario's).
	Seeds    uint64
	MaxSteps int
}

// Run compares scenario s under the kernel options opts (those detected
// for the running kernel) in run r. An *Unsupported error says why it
// cannot run on real processes.
func Run(r *hostlinux.Run, s *scenarios.Scenario, opts model.Options, o Options) (*Result, error) {
	if o.Seeds == 0 {
		o.Seeds = 100
	}
	if o.MaxSteps == 0 {
		o.MaxSteps = s.Steps()
	}
	p, w, err := Plan(s, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Scenario: s.Name, Options: opts}
	res.Sim, res.Truncated = Simulate(w, o.Seeds, o.MaxSteps)
	real, err := hostlinux.RunScenario(r, p)
	if err != nil {
		return nil, err
	}
	res.Real = observeReal(real, readFiles(w))
	res.Problems = real.Problems
	res.Agree = len(res.Problems) == 0 && slices.ContainsFunc(res.Sim, func(so SimOutcome) bool { return Matches(res.Real, so) })
	return res, nil
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
