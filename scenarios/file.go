package scenarios

import (
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v4"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// Version is the scenario file format version this package reads.
const Version = 1

// The keys of each mapping of a scenario file. docs/scenario.schema.json
// lists the same keys (a test keeps the two in step).
var (
	topKeys     = []string{"version", "name", "summary", "teaches", "source", "kernel", "cgroups", "tasks", "expect", "explore"}
	kernelKeys  = []string{"kill", "zap", "populated", "coredump", "pid_max", "fixes"}
	cgroupKeys  = []string{"path", "type", "subtree_control", "pids.max", "cgroup.max.depth", "cgroup.max.descendants", "freeze", "memory.oom.group"}
	taskKeys    = []string{"name", "parent", "cgroup", "pidns", "threads", "program", "killer", "kthread", "movable", "settle", "v1", "oom_score_adj", "rlimit_core"}
	killerKeys  = []string{"name", "target", "init", "warmup"}
	expectKeys  = []string{"violation", "under", "properties"}
	underKeys   = []string{"kill", "zap", "populated", "coredump", "violation"}
	exploreKeys = []string{"mode", "seeds", "max-steps", "max-depth", "max-preemptions", "max-states", "kill-gate",
		"reduce", "max-memory", "hash-compact", "keep-going", "order"}
)

// spec is a parsed scenario file. Names of tasks and cgroups are resolved
// when a machine is built (Build), with the node kept for the message.
type spec struct {
	file    string
	name    string
	opts    model.Options
	cgroups []cgroupSpec
	tasks   []*taskSpec
	byName  map[string]*taskSpec
	props   []*yaml.Node
	gate    *yaml.Node
	explore *Scenario // only the exploration fields are set
}

type cgroupSpec struct {
	node   *yaml.Node
	path   string
	writes []cgWrite
}

type cgWrite struct {
	node  *yaml.Node
	file  model.CgroupFile
	value string
}

type taskSpec struct {
	node    *yaml.Node
	index   int
	name    string
	parent  *yaml.Node
	cgroup  *yaml.Node
	pidns   *yaml.Node
	threads int
	kthread bool
	movable bool
	settle  *yaml.Node
	v1      *yaml.Node
	oomAdj  *yaml.Node
	// rlimitCore is RLIMIT_CORE: "0" or "unlimited".
	rlimitCore *yaml.Node
	program    *yaml.Node
	killer     *yaml.Node
	sleeper    bool // the program is a built-in that goes to sleep
	id         model.TaskID
	progID     int32
	threadID   []model.TaskID
}

// LoadFile reads and checks a scenario file.
func LoadFile(file string) (*Scenario, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, data)
}

// Parse reads a scenario file's contents; file names it in messages.
// Every error is a *PosError ("file:line:col: what was expected"). The
// machine is built once under the file's own options, so that errors of
// setup (a refused cgroup write, an unknown task) are reported here.
func Parse(file string, data []byte) (*Scenario, error) {
	d := &decoder{file: file}
	root := d.parseYAML(data)
	if d.err != nil {
		return nil, d.err
	}
	sp := d.spec(root)
	if d.err != nil {
		return nil, d.err
	}
	s := sp.explore
	s.File = file
	s.Build = func(opts model.Options) (*sim.World, error) { return sp.build(opts) }
	s.BuildSetup = sp.buildSetup
	if _, err := sp.build(s.Options); err != nil {
		return nil, err
	}
	return s, nil
}

func (d *decoder) spec(root *yaml.Node) *spec {
	f := d.fields(root, "scenario", topKeys)
	if d.err != nil {
		return nil
	}
	sp := &spec{file: d.file, opts: model.DefaultOptions(), byName: map[string]*taskSpec{}}
	s := &Scenario{Default: ExpectHolds, Bounds: explore.Unbounded()}
	sp.explore = s
	if f["version"] == nil {
		d.failf(root, "missing key \"version\" (want version: %d as the first line)", Version)
		return nil
	}
	if v := d.int(f["version"], "version", 0, 1<<31); d.err == nil && v != Version {
		d.failf(f["version"], "version %d: this cgsim reads version %d", v, Version)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(d.file), ".yaml"), ".yml")
	s.Name = base
	if n := f["name"]; n != nil {
		s.Name = d.checkName(n, "name")
	}
	sp.name = s.Name
	if n := f["summary"]; n != nil {
		s.Summary = d.str(n, "summary")
	}
	if n := f["teaches"]; n != nil {
		s.Teaches = strings.TrimSpace(d.str(n, "teaches"))
	}
	if n := f["source"]; n != nil {
		s.Source = strings.TrimSpace(d.str(n, "source"))
	}
	if n := f["kernel"]; n != nil {
		sp.opts = d.kernel(n)
	}
	s.Options = sp.opts
	for _, n := range d.list(f["cgroups"], "cgroups") {
		sp.cgroups = append(sp.cgroups, d.cgroup(n))
	}
	if f["tasks"] == nil {
		d.failf(root, "missing key \"tasks\" (the first task is the global init)")
		return nil
	}
	for i, n := range d.list(f["tasks"], "tasks") {
		t := d.task(n, i)
		if d.err != nil {
			return nil
		}
		if prev, dup := sp.byName[t.name]; dup {
			d.failf(n, "task %q is defined twice (first at line %d)", t.name, prev.node.Line)
			return nil
		}
		sp.byName[t.name] = t
		sp.tasks = append(sp.tasks, t)
	}
	if len(sp.tasks) == 0 && d.err == nil {
		d.failf(f["tasks"], "tasks: want at least the global init")
	}
	if n := f["expect"]; n != nil {
		sp.props = d.expect(n, s)
	}
	if n := f["explore"]; n != nil {
		d.exploreSettings(n, s)
		if g := d.fields(n, "explore", exploreKeys)["kill-gate"]; g != nil {
			sp.gate = g
		}
	}
	return sp
}

func (d *decoder) kernel(n *yaml.Node) model.Options {
	o := model.DefaultOptions()
	f := d.fields(n, "kernel", kernelKeys)
	var err error
	if v := f["kill"]; v != nil {
		if o.Kill, err = model.ParseKillMode(d.str(v, "kill")); err != nil {
			d.failf(v, "kill: %v", err)
		}
	}
	if v := f["zap"]; v != nil {
		if o.Zap, err = model.ParseZapMode(d.str(v, "zap")); err != nil {
			d.failf(v, "zap: %v", err)
		}
	}
	if v := f["populated"]; v != nil {
		if o.Populated, err = model.ParsePopulatedMode(d.str(v, "populated")); err != nil {
			d.failf(v, "populated: %v", err)
		}
	}
	if v := f["coredump"]; v != nil {
		if o.Coredump, err = model.ParseCoredumpMode(d.str(v, "coredump")); err != nil {
			d.failf(v, "coredump: %v", err)
		}
	}
	if v := f["pid_max"]; v != nil {
		o.PidMax = int32(d.int(v, "pid_max", 2, 1<<22))
	}
	for _, v := range d.listOrOne(f["fixes"], "fixes") {
		name := d.str(v, "fixes")
		fix, ok := LookupFix(name)
		if !ok && d.err == nil {
			d.failf(v, "fixes: unknown fix %q (want one of %s)", name, strings.Join(FixNames(), ", "))
		}
		if ok {
			fix.Set(&o, true)
		}
	}
	return o
}

func (d *decoder) cgroup(n *yaml.Node) cgroupSpec {
	f := d.fields(n, "cgroup", cgroupKeys)
	if d.err != nil {
		return cgroupSpec{}
	}
	c := cgroupSpec{node: n}
	if f["path"] == nil {
		d.failf(n, "cgroup: missing key \"path\"")
		return c
	}
	c.path = d.cgroupPath(f["path"], "path")
	// The writes happen in this order, whatever the order of the keys.
	for _, k := range []struct {
		key  string
		file model.CgroupFile
	}{
		{"type", model.FileType},
		{"cgroup.max.depth", model.FileMaxDepth},
		{"cgroup.max.descendants", model.FileMaxDescendants},
		{"subtree_control", model.FileSubtreeControl},
		{"pids.max", model.FilePidsMax},
		{"memory.oom.group", model.FileMemoryOomGroup},
		{"freeze", model.FileFreeze},
	} {
		v := f[k.key]
		if v == nil {
			continue
		}
		val := d.str(v, k.key)
		if k.key == "freeze" {
			val = "0"
			if d.bool(v, k.key) {
				val = "1"
			}
		}
		c.writes = append(c.writes, cgWrite{node: v, file: k.file, value: val})
	}
	return c
}

func (d *decoder) task(n *yaml.Node, index int) *taskSpec {
	f := d.fields(n, "task", taskKeys)
	if d.err != nil {
		return nil
	}
	t := &taskSpec{node: n, index: index, parent: f["parent"], cgroup: f["cgroup"], pidns: f["pidns"],
		settle: f["settle"], program: f["program"], killer: f["killer"], v1: f["v1"], oomAdj: f["oom_score_adj"], rlimitCore: f["rlimit_core"]}
	if f["name"] == nil {
		d.failf(n, "task: missing key \"name\"")
		return nil
	}
	t.name = d.checkName(f["name"], "name")
	if v := f["threads"]; v != nil {
		t.threads = int(d.int(v, "threads", 0, 64))
	}
	if v := f["kthread"]; v != nil {
		t.kthread = d.bool(v, "kthread")
	}
	if v := f["movable"]; v != nil {
		if !t.kthread {
			d.failf(v, "movable: only for kernel threads (kthread: true)")
		}
		t.movable = d.bool(v, "movable")
	}
	if v := f["settle"]; v != nil {
		d.bool(v, "settle")
	}
	switch {
	case index == 0 && t.kthread:
		d.failf(f["kthread"], "the first task is the global init (pid 1), which is not a kernel thread")
	case index == 0 && t.parent != nil:
		d.failf(t.parent, "the first task is the global init (pid 1): it has no parent")
	case index == 0 && t.pidns != nil:
		d.failf(t.pidns, "the first task is the global init of the initial pid namespace")
	case index == 0 && t.cgroup != nil:
		d.failf(t.cgroup, "the first task is the global init, in the root cgroup (move it with a write to cgroup.procs)")
	case index == 0 && t.threads > 0:
		d.failf(f["threads"], "threads: not for the global init")
	case t.kthread && t.parent != nil:
		d.failf(t.parent, "a kernel thread's parent is kthreadd: leave parent out")
	case t.killer != nil && (t.program != nil || t.kthread || index == 0):
		d.failf(t.killer, "killer: a killer runs in place of a program, in a user task other than init")
	case t.kthread && t.program != nil:
		d.failf(t.program, "a kernel thread runs no user program")
	case t.kthread && t.pidns != nil:
		d.failf(t.pidns, "kernel threads live in the initial pid namespace")
	case t.kthread && t.threads > 0:
		d.failf(f["threads"], "threads: not for kernel threads")
	case t.oomAdj != nil && (t.kthread || index == 0):
		d.failf(t.oomAdj, "oom_score_adj: only for user tasks other than init (the global init is never an OOM victim, and everything init forks at setup would inherit it)")
	case t.rlimitCore != nil && (t.kthread || index == 0):
		d.failf(t.rlimitCore, "rlimit_core: only for user tasks other than init (everything init forks at setup would inherit it)")
	case t.rlimitCore != nil && t.rlimitCore.Value != "0" && t.rlimitCore.Value != "unlimited":
		d.failf(t.rlimitCore, "rlimit_core: want 0 (no core file, this machine's default) or unlimited (a core file is written)")
	case t.v1 != nil && (t.kthread || index == 0):
		d.failf(t.v1, "v1: only for user tasks other than init (the model keeps init and kernel threads in the roots of the v1 hierarchies)")
	case !t.kthread && t.program == nil && t.killer == nil:
		d.failf(n, "task %q: missing key \"program\" (a built-in name such as pause, or a list of actions) or \"killer\"", t.name)
	}
	if t.program != nil && t.program.Kind == yaml.ScalarNode {
		switch t.program.Value {
		case "pause", "ignore-sigchld", "reaper":
			t.sleeper = true
		}
	}
	return t
}

func (d *decoder) expect(n *yaml.Node, s *Scenario) []*yaml.Node {
	f := d.fields(n, "expect", expectKeys)
	if v := f["violation"]; v != nil {
		s.Default = expectOf(d.bool(v, "violation"))
	}
	for _, c := range d.list(f["under"], "under") {
		cf := d.fields(c, "under", underKeys)
		if d.err != nil {
			return nil
		}
		var cs Case
		if v := cf["kill"]; v != nil {
			k, err := model.ParseKillMode(d.str(v, "kill"))
			if err != nil {
				d.failf(v, "kill: %v", err)
			}
			cs.Kill = &k
		}
		if v := cf["zap"]; v != nil {
			z, err := model.ParseZapMode(d.str(v, "zap"))
			if err != nil {
				d.failf(v, "zap: %v", err)
			}
			cs.Zap = &z
		}
		if v := cf["populated"]; v != nil {
			p, err := model.ParsePopulatedMode(d.str(v, "populated"))
			if err != nil {
				d.failf(v, "populated: %v", err)
			}
			cs.Populated = &p
		}
		if v := cf["coredump"]; v != nil {
			m, err := model.ParseCoredumpMode(d.str(v, "coredump"))
			if err != nil {
				d.failf(v, "coredump: %v", err)
			}
			cs.Coredump = &m
		}
		if cf["violation"] == nil {
			d.failf(c, "under: missing key \"violation\" (what exploring must find under these options)")
			return nil
		}
		cs.Expect = expectOf(d.bool(cf["violation"], "violation"))
		s.Cases = append(s.Cases, cs)
	}
	return d.list(f["properties"], "properties")
}

func expectOf(violation bool) Expect {
	if violation {
		return ExpectViolation
	}
	return ExpectHolds
}

func (d *decoder) exploreSettings(n *yaml.Node, s *Scenario) {
	f := d.fields(n, "explore", exploreKeys)
	b := s.Bounds
	if v := f["mode"]; v != nil {
		switch m := d.str(v, "mode"); m {
		case "exhaustive", "random":
			s.Mode = m
		default:
			d.failf(v, "mode: want exhaustive or random, got %q", m)
		}
	}
	if v := f["seeds"]; v != nil {
		s.FirstSeed, s.LastSeed = d.seedRange(v, "seeds")
	}
	if v := f["max-steps"]; v != nil {
		s.MaxSteps = int(d.int(v, "max-steps", 1, 1<<30))
	}
	if v := f["max-depth"]; v != nil {
		b.MaxDepth = int(d.int(v, "max-depth", 1, 1<<30))
	}
	if v := f["max-preemptions"]; v != nil {
		b.MaxPreemptions = int(d.int(v, "max-preemptions", 0, 1<<30))
	}
	if v := f["max-states"]; v != nil {
		b.MaxStates = int(d.int(v, "max-states", 1, 1<<40))
	}
	if v := f["kill-gate"]; v != nil {
		s.KillGate = d.checkName(v, "kill-gate")
	}
	if v := f["reduce"]; v != nil {
		r, err := explore.ParseReduction(d.str(v, "reduce"))
		if err != nil {
			d.failf(v, "reduce: %v", err)
		}
		b.Reduce = r
	}
	if v := f["max-memory"]; v != nil {
		m, err := ParseBytes(d.str(v, "max-memory"))
		if err != nil {
			d.failf(v, "max-memory: %v", err)
		}
		b.MaxMemory = m
	}
	if v := f["hash-compact"]; v != nil {
		b.HashCompact = d.bool(v, "hash-compact")
	}
	if v := f["keep-going"]; v != nil {
		b.KeepGoing = d.bool(v, "keep-going")
	}
	if v := f["order"]; v != nil {
		o, err := explore.ParseOrder(d.str(v, "order"))
		if err != nil {
			d.failf(v, "order: %v", err)
		}
		b.Order = o
	}
	s.Bounds = b
}
