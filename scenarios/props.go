package scenarios

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v4"

	"cgsim/model"
	"cgsim/sim"
)

// Named properties a scenario's expect.properties may list.
var propertyNames = []string{"empty-after-kill", "empty-after-oom", "namespace-dead", "zap-waits", "pids-within-max",
	"alive", "dead", "unpopulated", "frozen", "not-reached"}

var emptyAfterKillKeys = []string{"cgroup", "after"}

// property adds the named property at n to the world.
func (b *builder) property(n *yaml.Node) {
	d, w := b.d, b.w
	name, arg := d.single(n, "property", propertyNames)
	if d.err != nil {
		return
	}
	if arg == nil {
		d.failf(n, "%s: want an argument (%s: ...)", name, name)
		return
	}
	switch name {
	case "empty-after-kill", "empty-after-oom":
		f := d.fields(arg, name, emptyAfterKillKeys)
		if f["cgroup"] == nil || f["after"] == nil {
			what := "the killed cgroup) and after (the label of the cgroup.kill write"
			if name == "empty-after-oom" {
				what = "the cgroup with memory.oom.group set) and after (the label of the oom event"
			}
			d.failf(arg, "%s: want cgroup (%s)", name, what)
			return
		}
		cg := b.cgroupAtSetup(f["cgroup"], "cgroup")
		label := d.checkName(f["after"], "after")
		if d.err == nil && !b.hasLabel(label) {
			d.failf(f["after"], "after: no call is labelled %q", label)
			return
		}
		if name == "empty-after-oom" {
			w.Props = append(w.Props, sim.EmptyAfterOOM(cg, label))
		} else {
			w.Props = append(w.Props, sim.EmptyAfterKill(cg, label))
		}
	case "namespace-dead", "zap-waits":
		t := b.task(arg, name)
		if d.err != nil {
			return
		}
		ns := w.K.Task(t).NS
		if w.K.NS(ns).ChildReaper != t {
			d.failf(arg, "%s: %q is not the init of a pid namespace (give a task with pidns: new)", name, arg.Value)
			return
		}
		if name == "namespace-dead" {
			w.Props = append(w.Props, sim.NamespaceDead(ns))
		} else {
			w.Props = append(w.Props, sim.InitOutlivesNamespace(ns, t))
		}
	case "pids-within-max":
		cg := b.cgroupAtSetup(arg, name)
		if d.err != nil {
			return
		}
		w.Props = append(w.Props, sim.PidsWithinMax(cg))
	case "alive", "dead":
		var ts []model.TaskID
		for _, v := range d.listOrOne(arg, name) {
			ts = append(ts, b.task(v, name))
		}
		if d.err != nil {
			return
		}
		w.Props = append(w.Props, sim.Fate(ts, name == "alive"))
	case "unpopulated", "frozen":
		var cgs []model.CgroupID
		for _, v := range d.listOrOne(arg, name) {
			cgs = append(cgs, b.cgroupAtSetup(v, name))
		}
		if d.err != nil {
			return
		}
		w.Props = append(w.Props, sim.CgroupState(cgs, name))
	case "not-reached":
		var cov model.Coverage
		for _, v := range d.listOrOne(arg, name) {
			s := d.str(v, name)
			c, ok := model.ParseCoverage(s)
			if !ok && d.err == nil {
				d.failf(v, "not-reached: unknown coverage point %q (want one of %s)", s, strings.Join(model.CoverageNames(), ", "))
			}
			cov |= c
		}
		if d.err != nil {
			return
		}
		w.Props = append(w.Props, sim.NotReached(cov))
	default:
		panic(fmt.Sprintf("scenarios: property %q listed but not handled", name))
	}
}

// hasLabel reports whether some program of the machine labels a call so.
func (b *builder) hasLabel(label string) bool {
	for _, p := range b.w.Progs {
		for _, in := range p.Code {
			if in.Label == label {
				return true
			}
		}
	}
	return false
}
