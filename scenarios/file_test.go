package scenarios_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
)

// TestParseErrors: every bad file is reported at the line and column of
// what is wrong, saying what was expected.
func TestParseErrors(t *testing.T) {
	const tasks = "tasks:\n  - name: init\n    program: pause\n"
	for _, c := range []struct {
		name, text, want string
	}{
		{"empty", "", "f.yaml: empty file"},
		{"syntax", "version: 1\ntasks: [\n", "f.yaml:3:1: did not find expected node content"},
		{"unquoted colon", "version: 1\nsummary: a: b\n" + tasks, `f.yaml:2:11: mapping values are not allowed in this context: a value containing ": " must be quoted`},
		{"not a mapping", "- 1\n", "f.yaml:1:1: scenario: want a mapping"},
		{"no version", tasks, `f.yaml:1:1: missing key "version"`},
		{"bad version", "version: 2\n" + tasks, "f.yaml:1:10: version 2: this cgsim reads version 1"},
		{"unknown key", "version: 1\nfoo: 1\n" + tasks, `f.yaml:2:1: scenario: unknown key "foo" (want version, name,`},
		{"duplicate key", "version: 1\nversion: 1\n" + tasks, `f.yaml:2:1: scenario: duplicate key "version" (first at line 1)`},
		{"alias", "version: 1\nsummary: &a x\n" + tasks, "f.yaml:2:10: anchors and aliases are not allowed"},
		{"no tasks", "version: 1\n", `f.yaml:1:1: missing key "tasks"`},
		{"bad kill", "version: 1\nkernel: {kill: maybe}\n" + tasks, `f.yaml:2:16: kill: unknown kill mode "maybe"`},
		{"bad pid_max", "version: 1\nkernel: {pid_max: x}\n" + tasks, `f.yaml:2:19: pid_max: want an integer from 2 to 4194304, got "x"`},
		{"relative cgroup", "version: 1\ncgroups: [{path: test}]\n" + tasks, `f.yaml:2:18: path: want an absolute cgroup path`},
		{"orphan cgroup", "version: 1\ncgroups: [{path: /a/b}]\n" + tasks, "f.yaml:2:11: cgroup /a/b: its parent /a is not listed above it"},
		{"refused cgroup write", "version: 1\ncgroups:\n  - path: /a\n  - path: /a/b\n    pids.max: 3\n" + tasks, `f.yaml:5:15: cgroup /a/b: write "3" to pids.max: ENOENT`},
		{"task key", "version: 1\ntasks:\n  - name: init\n    program: pause\n    colour: red\n", `f.yaml:5:5: task: unknown key "colour"`},
		{"init with parent", "version: 1\ntasks:\n  - name: init\n    parent: x\n    program: pause\n", "f.yaml:4:13: the first task is the global init (pid 1): it has no parent"},
		{"no program", "version: 1\ntasks:\n  - name: init\n", `f.yaml:3:5: task "init": missing key "program"`},
		{"duplicate task", "version: 1\n" + tasks + "  - name: init\n    program: pause\n", `f.yaml:5:5: task "init" is defined twice (first at line 3)`},
		{"unknown parent", "version: 1\n" + tasks + "  - {name: a, parent: nobody, program: pause}\n", `f.yaml:5:23: parent: unknown task "nobody"`},
		{"later parent", "version: 1\n" + tasks + "  - {name: a, parent: b, program: pause}\n  - {name: b, program: pause}\n", `f.yaml:5:23: parent: task "b" is created later`},
		{"bad cgroup of task", "version: 1\n" + tasks + "  - {name: a, cgroup: /nope, program: pause}\n", "f.yaml:5:23: cgroup: cgroup /nope does not exist at setup"},
		{"unknown builtin", "version: 1\ntasks:\n  - name: init\n    program: sleep\n", `f.yaml:4:14: program: unknown built-in "sleep"`},
		{"unknown action", "version: 1\ntasks:\n  - name: init\n    program: [nap]\n", `f.yaml:4:15: unknown action "nap" (want one of pause,`},
		{"unknown action key", "version: 1\ntasks:\n  - name: init\n    program: [{write: {file: /cgroup.procs, value: 0, mode: x}}]\n", `f.yaml:4:55: write: unknown key "mode" (want file, value, pid, label, expect)`},
		{"bad errno", "version: 1\ncgroups: [{path: /t}]\ntasks:\n  - name: init\n    program: [{write: {file: /t/cgroup.kill, value: 1, expect: EWHAT}}]\n", `f.yaml:5:64: expect: unknown errno "EWHAT"`},
		{"bad file", "version: 1\ntasks:\n  - name: init\n    program: [{read: {file: /t/memory.max}}]\n", `f.yaml:4:29: file: "memory.max" is not a cgroup interface file this model has`},
		{"bad signal", "version: 1\n" + tasks + "  - {name: k, program: [{kill: {task: init, signal: SIGFOO}}]}\n", `f.yaml:5:53: signal: unknown signal "SIGFOO"`},
		{"kill unknown task", "version: 1\n" + tasks + "  - {name: k, program: [kill: ghost]}\n", `f.yaml:5:31: kill: unknown task "ghost"`},
		{"nested repeat", "version: 1\ntasks:\n  - name: init\n    program: [{repeat: {times: 2, do: [{spin: 3}]}}]\n", "f.yaml:4:40: counted loops (repeat, spin N) cannot nest"},
		{"catch SIGKILL", "version: 1\ntasks:\n  - name: init\n    program: [{sigaction: {signal: SIGKILL, action: ignore}}]\n", "f.yaml:4:36: sigaction: SIGKILL cannot be caught or ignored"},
		{"two await conditions", "version: 1\ncgroups: [{path: /t}]\ntasks:\n  - name: init\n    program: [{await: {populated: /t, frozen: /t}}]\n", "f.yaml:5:23: await: want exactly one condition"},
		{"unknown property", "version: 1\n" + tasks + "expect: {properties: [immortal: init]}\n", `f.yaml:5:23: unknown property "immortal"`},
		{"empty-after-kill label", "version: 1\ncgroups: [{path: /t}]\n" + tasks + "expect: {properties: [{empty-after-kill: {cgroup: /t, after: nokill}}]}\n", `f.yaml:6:62: after: no call is labelled "nokill"`},
		{"not a namespace init", "version: 1\n" + tasks + "  - {name: a, program: pause}\nexpect: {properties: [namespace-dead: a]}\n", `f.yaml:6:39: namespace-dead: "a" is not the init of a pid namespace`},
		{"unknown coverage", "version: 1\n" + tasks + "expect: {properties: [not-reached: nowhere]}\n", `f.yaml:5:36: not-reached: unknown coverage point "nowhere"`},
		{"under without violation", "version: 1\n" + tasks + "expect: {under: [{kill: flag}]}\n", `f.yaml:5:18: under: missing key "violation"`},
		{"bad mode", "version: 1\n" + tasks + "explore: {mode: sideways}\n", `f.yaml:5:17: mode: want exhaustive or random, got "sideways"`},
		{"bad seeds", "version: 1\n" + tasks + "explore: {seeds: 9-1}\n", `f.yaml:5:18: seeds: want seeds as N or N-M with 1 <= N <= M, got "9-1"`},
		{"gate label", "version: 1\n" + tasks + "explore: {kill-gate: kill}\n", `f.yaml:5:22: kill-gate: no call is labelled "kill"`},
		{"unknown killer", "version: 1\ncgroups: [{path: /t}]\n" + tasks + "  - {name: k, killer: {name: pkill, target: /t}}\n", `f.yaml:6:30: killer: unknown killer "pkill" (want one of cgroup.kill, naive,`},
		{"killer and program", "version: 1\ncgroups: [{path: /t}]\n" + tasks + "  - {name: k, program: pause, killer: {name: naive, target: /t}}\n", "f.yaml:6:39: killer: a killer runs in place of a program"},
		{"killer target missing", "version: 1\n" + tasks + "  - {name: k, killer: {name: naive, target: /gone}}\n", "f.yaml:5:45: target: cgroup /gone does not exist at setup"},
		{"kill pid -2", "version: 1\n" + tasks + "  - {name: k, program: [{kill: {pid: -2}}]}\n", "f.yaml:5:38: pid: want an integer from -1 to 4194304"},
		{"kill pid word", "version: 1\n" + tasks + "  - {name: k, program: [{kill: {pid: parent}}]}\n", `f.yaml:5:38: pid: want an integer from -1 to 4194304 (as the caller sees it), child (the pid the caller's last fork returned) or a register declared above with as:, got "parent"`},
		{"kill pid and pgrp", "version: 1\n" + tasks + "  - {name: k, program: [{kill: {pid: 1, pgrp: k}}]}\n", "f.yaml:5:32: kill: give one of task, pid and pgrp"},
		{"setpgid unknown key", "version: 1\n" + tasks + "  - {name: k, program: [{setpgid: {group: k}}]}\n", `f.yaml:5:36: setpgid: unknown key "group" (want pid, pgid, label, expect)`},
		{"wait pid word", "version: 1\n" + tasks + "  - {name: k, program: [fork, {wait: {pid: Child}}]}\n", `f.yaml:5:44: pid: want an integer from -1 to 4194304 (as the caller sees it), child (the pid the caller's last fork returned) or a register declared above with as:, got "Child"`},
		{"wait pid list", "version: 1\n" + tasks + "  - {name: k, program: [fork, {wait: {pid: [child]}}]}\n", "f.yaml:5:44: pid: want a value, got a list"},
		{"kill child without fork", "version: 1\n" + tasks + "  - {name: k, program: [{kill: {pid: child}}, {wait: {pid: child}}]}\n", "f.yaml:5:38: pid: child is the pid the caller's last fork returned, and this program has no fork"},
		{"init in a cgroup", "version: 1\ncgroups: [{path: /t}]\ntasks:\n  - {name: init, cgroup: /t, program: pause}\n", "f.yaml:4:26: the first task is the global init, in the root cgroup"},
		{"killer cannot see init", "version: 1\ncgroups: [{path: /t}]\n" + tasks + "  - {name: c, pidns: new, program: pause}\n  - {name: k, parent: c, killer: {name: runc, target: /t, init: init}}\n", `f.yaml:7:65: init: the killer cannot see "init" from its pid namespace`},
		{"oom without cgroup", "version: 1\n" + tasks + "  - {name: h, program: [{oom: {victim: init}}]}\n", "f.yaml:5:31: oom: want cgroup (the memory cgroup whose limit the allocation hits, / for a global OOM)"},
		{"oom unknown key", "version: 1\n" + tasks + "  - {name: h, program: [{oom: {cgroup: /, size: 1}}]}\n", `f.yaml:5:43: oom: unknown key "size" (want cgroup, victim, label, expect)`},
		{"oom unknown victim", "version: 1\n" + tasks + "  - {name: h, program: [{oom: {cgroup: /, victim: ghost}}]}\n", `f.yaml:5:51: victim: unknown task "ghost"`},
		{"oom relative cgroup", "version: 1\n" + tasks + "  - {name: h, program: [oom: job]}\n", "f.yaml:5:30: oom: want an absolute cgroup path"},
		{"oom_score_adj range", "version: 1\n" + tasks + "  - {name: a, oom_score_adj: -1001, program: pause}\n", "f.yaml:5:30: oom_score_adj: want an integer from -1000 to 1000"},
		{"oom_score_adj of init", "version: 1\ntasks:\n  - {name: init, oom_score_adj: 5, program: pause}\n", "f.yaml:3:33: oom_score_adj: only for user tasks other than init"},
		{"rlimit_core value", "version: 1\n" + tasks + "  - {name: a, rlimit_core: 4096, program: pause}\n", "f.yaml:5:28: rlimit_core: want 0 (no core file, this machine's default) or unlimited"},
		{"rlimit_core of init", "version: 1\ntasks:\n  - {name: init, rlimit_core: unlimited, program: pause}\n", "f.yaml:3:31: rlimit_core: only for user tasks other than init"},
		{"coredump mode", "version: 1\nkernel: {coredump: v5.14}\n" + tasks, `f.yaml:2:20: coredump: unknown coredump mode "v5.14" (want one of current, v5.15)`},
		{"under coredump mode", "version: 1\n" + tasks + "expect: {under: [{coredump: old, violation: true}]}\n", `f.yaml:5:29: coredump: unknown coredump mode "old"`},
		{"memory.oom.group value", "version: 1\ncgroups:\n  - {path: /, subtree_control: +memory}\n  - {path: /j, memory.oom.group: 2}\n" + tasks, `f.yaml:4:34: cgroup /j: write "2" to memory.oom.group: EINVAL`},
		{"memory.oom.group without memory", "version: 1\ncgroups:\n  - {path: /j, memory.oom.group: 1}\n" + tasks, `f.yaml:3:34: cgroup /j: write "1" to memory.oom.group: ENOENT`},
		{"register not declared", "version: 1\n" + tasks + "  - {name: k, program: [fork, {kill: {pid: c1}}]}\n", `f.yaml:5:44: pid: want an integer from -1 to 4194304`},
		{"pidfd register not declared", "version: 1\n" + tasks + "  - {name: k, program: [{pidfd-send-signal: {pidfd: fd}}]}\n", `f.yaml:5:53: "fd" is not a register of this program (declare it above with as: fd or pidfd: fd)`},
		{"pid register as pidfd", "version: 1\n" + tasks + "  - {name: k, program: [{fork: {as: c}}, {waitid: {pidfd: c}}]}\n", `f.yaml:5:59: "c" holds a pid, want a pidfd`},
		{"register called child", "version: 1\n" + tasks + "  - {name: k, program: [{fork: {as: child}}]}\n", `f.yaml:5:37: as: "child" is the pid the caller's last fork returned; choose another name`},
		{"too many registers", "version: 1\n" + tasks + "  - {name: k, program: [getpid: {as: a}, getpid: {as: b}, getpid: {as: c}, getpid: {as: d}, getpid: {as: e}]}\n", `f.yaml:5:106: as: "e": a program has at most 4 named registers`},
		{"wait status", "version: 1\n" + tasks + "  - {name: k, program: [fork, {wait: {status: exit 0}}]}\n", `f.yaml:5:47: status: want exited N, killed SIG, killed SIG core, stopped SIG, continued or none, got "exit 0"`},
		{"waitid status", "version: 1\n" + tasks + "  - {name: k, program: [fork, {waitid: {status: exited 0}}]}\n", `f.yaml:5:49: status: want CLD_EXITED N, CLD_KILLED SIG, CLD_DUMPED SIG, CLD_STOPPED SIG, CLD_CONTINUED SIGCONT or none, got "exited 0"`},
		{"waitid flag", "version: 1\n" + tasks + "  - {name: k, program: [{waitid: {flags: [WTRAPPED]}}]}\n", `f.yaml:5:43: flags: want WEXITED, WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT or __WALL, got "WTRAPPED"`},
		{"write value and pid", "version: 1\n" + tasks + "  - {name: k, program: [{fork: {as: c}}, {write: {file: /cgroup.procs, value: 0, pid: c}}]}\n", "f.yaml:5:50: write: want file and one of value and pid"},
		{"pidfd-open pid and task", "version: 1\n" + tasks + "  - {name: k, program: [{pidfd-open: {pid: 1, task: init}}]}\n", "f.yaml:5:38: pidfd-open: give one of pid and task"},
		{"kthread not movable", "version: 1\ncgroups: [{path: /t}]\n" + tasks + "  - {name: kw, kthread: true, cgroup: /t}\n", `f.yaml:6:39: kernel thread "kw": cannot be moved to /t: EINVAL`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := scenarios.Parse("f.yaml", []byte(c.text))
			require.Error(t, err)
			var pe *scenarios.PosError
			require.True(t, errors.As(err, &pe), "%T %v", err, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// TestParseBuildsTheMachine checks a small file end to end: tasks,
// threads, namespaces, kernel threads and options land where the file
// says.
func TestParseBuildsTheMachine(t *testing.T) {
	s, err := scenarios.Parse("m.yaml", []byte(`version: 1
summary: s
kernel: {kill: flag, zap: "2007", pid_max: 400}
cgroups:
  - {path: /, subtree_control: +pids}
  - {path: /c, pids.max: 5}
tasks:
  - {name: init, program: ignore-sigchld}
  - {name: ci, cgroup: /c, pidns: new, program: pause}
  - {name: w, parent: ci, threads: 2, program: pause}
  - {name: kw, kthread: true}
expect:
  violation: true
  under: [{zap: current, violation: false}]
`))
	require.NoError(t, err)
	require.Equal(t, "m", s.Name)
	require.Equal(t, model.KillFlag, s.Options.Kill)
	require.Equal(t, model.Zap2007, s.Options.Zap)
	require.Equal(t, int32(400), s.Options.PidMax)
	require.Equal(t, scenarios.ExpectViolation, s.Expectation(s.Options))
	cur := s.Options
	cur.Zap = model.ZapCurrent
	require.Equal(t, scenarios.ExpectHolds, s.Expectation(cur))

	w, err := s.Build(s.Options)
	require.NoError(t, err)
	k := w.K
	require.Equal(t, 6, k.NumTasks(), "init, ci, w and its two threads, kw")
	byName := map[string]model.TaskID{}
	for i := 0; i < k.NumTasks(); i++ {
		byName[w.Name(model.TaskID(i))] = model.TaskID(i)
	}
	c, ok := k.Lookup("/c")
	require.True(t, ok)
	require.Equal(t, c, k.Task(byName["ci"]).Cgroup)
	require.Equal(t, c, k.Task(byName["w.t2"]).Cgroup)
	require.Equal(t, int32(4), k.Cgroup(c).PidsCurrent, "ci, w and w's two threads")
	require.Equal(t, int32(1), k.PidIn(byName["ci"], k.Task(byName["ci"]).NS), "ci is pid 1 of its namespace")
	require.Equal(t, int32(2), k.PidIn(byName["w"], k.Task(byName["ci"]).NS))
	require.Len(t, k.Threads(byName["w"]), 3)
	require.NotZero(t, k.Task(byName["kw"]).Flags&model.PF_KTHREAD)
	require.NoError(t, k.CheckInvariants())
}

// TestThreadChildBlock: a CLONE_THREAD child block ends with exit(2) of
// the thread, not exit_group: the process lives on and its later call
// returns.
func TestThreadChildBlock(t *testing.T) {
	requireHolds(t, "t.yaml", `version: 1
cgroups: [{path: /t}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: p
    program:
      - fork: {flags: CLONE_THREAD, child: [spin]}
      - spin: 3
      - write: {file: /t/cgroup.freeze, value: "1", expect: OK}
      - pause
expect:
  properties:
    - alive: p
`)
}

// requireHolds parses a scenario file and explores it exhaustively with
// invariants checked: nothing may be violated and the exploration must
// finish within its bounds.
func requireHolds(t *testing.T, file, src string) {
	t.Helper()
	s, err := scenarios.Parse(file, []byte(src))
	require.NoError(t, err)
	out, err := s.Explore(s.Options, scenarios.Exploration{CheckInvariants: true})
	require.NoError(t, err)
	require.Empty(t, out.Violation)
	require.False(t, out.Report.Truncated)
}
