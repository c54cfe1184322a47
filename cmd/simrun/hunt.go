//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"cgsim/hostlinux"
)

func cmdHunt(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("hunt", "", stdout)
	fs := c.fs
	races := hostlinux.HuntNames()
	var list strings.Builder
	for _, name := range races {
		fmt.Fprintf(&list, "  %-25s %s\n", name, hostlinux.Hunters[name].About)
	}
	c.help = (`usage: simrun hunt NAME [-n N] [-time D] [flags]

Try a race of the catalogue on this machine's real kernel, up to N times
and for at most D, arranging the tasks and the timing to widen its
window, classify every try, and report "reproduced k of N" or "not
reproduced in N" (never "passed": a race not seen may still be there).
Needs root, gcc and a writable cgroup v2 hierarchy with cgroup.kill;
everything runs in new cgroups (v2, and v1 where a hunt needs one) that
are removed at the end, also on interrupt. For zap and kill-skips-dying
the model says no task can escape on this kernel: a reproduction is a
disagreement and the exit status is 1. Races:

` + list.String() + `
The arrangement flags (docs/conformance.md has what each does to the
rate): -csets, -order, -crowd, -crowdcpu, -clone and -child shape
fork-vs-kill;
-csets=alternate runs on and off interleaved and reports both.
`)
	def := hostlinux.DefaultHuntOptions()
	n := fs.Int("n", def.N, "at most this many tries")
	limit := fs.Duration("time", 0, "and at most this long (0: no bound), e.g. 5m")
	csets := fs.String("csets", def.Csets, "fork-vs-kill: the forker on a css_set of its own (on), on the crowd's (off), or alternate")
	order := fs.String("order", def.Order, "fork-vs-kill: the forker's place in the kill's walk: first, middle or last")
	crowd := fs.Int("crowd", def.Crowd, "fork-vs-kill, kill-skips-dying: sleeping processes the walk signals besides the forker")
	crowdCPU := fs.String("crowdcpu", def.CrowdCPU, "fork-vs-kill: the crowd sleeps on the killer's CPU or the forker's")
	clone := fs.String("clone", def.Clone, "fork-vs-kill: vfork (CLONE_VM|CLONE_VFORK) or fork")
	child := fs.String("child", def.Child, "fork-vs-kill: children exit at once (exit) or stay (pause, with -clone=fork)")
	rt := fs.Bool("rt", def.RT, "forkers and killer run SCHED_FIFO on their CPUs")
	jitter := fs.Int("jitter", 0, "range of the random delays in µs (0: the race's default)")
	bound := fs.Int("bound", def.Bound, "fork-bomb: pids.max of the bomb")
	injector := fs.Bool("injector", def.Injector, "zap: also fork into the namespace from outside it (setns)")
	mode := fs.String("mode", def.Mode, "zombie-leader: wait (kill once the leader is a zombie) or race (around its exit)")
	v1 := fs.String("v1", def.V1, "fork-vs-kill: the v1 hierarchy of the throw-away cgroups that make css_sets")
	c.positive = []string{"n"}
	c.nonNegative = []string{"time", "crowd", "jitter", "bound"}
	name, err := c.parseOne(args, "race name (one of "+strings.Join(races, ", ")+")")
	if err != nil {
		return exitBadInput, err
	}
	hunt, ok := hostlinux.Hunters[name]
	if !ok {
		return 2, fmt.Errorf("hunt: no real-kernel hunt for %q (want %s)", name, strings.Join(races, ", "))
	}
	if err := hostlinux.Check(); err != nil {
		return 2, fmt.Errorf("hunt: %v", err)
	}
	if name != "clone-into-killed-cgroup" {
		if err := hostlinux.HaveCC(); err != nil {
			return 2, fmt.Errorf("hunt: %v", err)
		}
	}
	// On an interrupt, remove the runs' cgroups, v1 ones included.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	finished := make(chan struct{})
	defer func() { signal.Stop(sigs); close(finished) }()
	go func() {
		select {
		case sig := <-sigs:
			hostlinux.CloseHunts()
			fmt.Fprintf(os.Stderr, "simrun: %v: removed this run's cgroups\n", sig)
			os.Exit(2)
		case <-finished:
		}
	}()
	tick := progress(stderr)
	o := def
	o.N, o.Time, o.Csets, o.Order, o.Crowd, o.Clone, o.Child = *n, *limit, *csets, *order, *crowd, *clone, *child
	o.RT, o.Jitter, o.Bound, o.Injector, o.Mode, o.V1, o.CrowdCPU = *rt, *jitter, *bound, *injector, *mode, *v1, *crowdCPU
	o.Progress = func(done int) { tick(fmt.Sprintf("%d of %d tries", done, *n)) }
	reps, err := hunt.Run(o)
	if err != nil {
		return 2, err
	}
	code := 0
	for _, rep := range reps {
		fmt.Fprintln(stdout, rep)
		for k, v := range rep.Details {
			fmt.Fprintf(stdout, "  %s: %d\n", k, v)
		}
		for i, h := range rep.Hits {
			if i == 20 {
				fmt.Fprintf(stdout, "  ... %d more\n", len(rep.Hits)-i)
				break
			}
			fmt.Fprintf(stdout, "  hit: %s\n", h)
		}
		if hunt.EscapeIsDisagreement && rep.Reproduced > 0 {
			fmt.Fprintf(stdout, "DISAGREE  %s: the model finds no such escape on this kernel\n", name)
			code = 1
		}
	}
	return code, nil
}
