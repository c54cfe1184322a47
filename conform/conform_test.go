//go:build linux

package conform_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cgsim/conform"
	"cgsim/hostlinux"
	"cgsim/model"
	"cgsim/scenarios"
)

// orphanEnv makes the test binary run one scenario on real processes,
// print its run's cgroup and the pids, and sleep without closing the run
// (TestKilledInTheMiddle kills it).
const orphanEnv = "CGSIM_CONFORM_ORPHAN"

func TestMain(m *testing.M) {
	hostlinux.MaybeHelper()
	if os.Getenv(orphanEnv) != "" {
		orphan()
	}
	code := m.Run()
	// After the whole suite, nothing of its runs may be left.
	if left := hostlinux.LeftAfterSuite(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: cgroups left behind by the suite: %v\n", left)
		code = 1
	}
	os.Exit(code)
}

// kernel returns the options detected for the running kernel, or skips
// the test saying what is missing: root and a usable cgroup v2 hierarchy,
// and a C compiler for the interpreter the scenarios run in.
func kernel(t *testing.T) model.Options {
	t.Helper()
	if err := hostlinux.Check(); err != nil {
		t.Skip("no real-kernel runs here: " + err.Error())
	}
	if err := hostlinux.HaveCC(); err != nil {
		t.Skip("no scenario runs on real processes here: " + err.Error())
	}
	d, err := hostlinux.Detect()
	require.NoError(t, err)
	return d.Options
}

// cannotRun are the bundled scenarios real processes cannot run, and
// why; docs/conformance.md explains each reason. A scenario that needs
// a controller runs where the hierarchy offers it.
var cannotRun = map[string]string{
	"cgroup-kill-errors":                                  "the scenario's root cgroup is a child cgroup on the real kernel",
	"fork-bomb":                                           "pids controller",
	"kill-skips-kthread":                                  "kernel thread, which user space cannot create",
	"killer-runc-private-pidns":                           "runs a userspace killer",
	"killer-systemd-migration":                            "runs a userspace killer",
	"oom-group-vs-fork":                                   "an OOM event, which the harness cannot trigger on demand",
	"oom-group-vs-migration":                              "an OOM event, which the harness cannot trigger on demand",
	"pid_max_simple":                                      "a write of /proc/sys/kernel/pid_max",
	"pid_max_nested":                                      "a write of /proc/sys/kernel/pid_max",
	"pid_max_nested_limit":                                "a write of /proc/sys/kernel/pid_max",
	"pidfd_info_thread_group_exec":                        "pidfd_open of the literal pid",
	"pidfd_info_thread_group_exec_thread":                 "pidfd_open of the literal pid",
	"pidfd_fdinfo_nspid":                                  "fdinfo",
	"pidfd_fdinfo_dead":                                   "fdinfo",
	"pidfd_info_thread_group":                             "which is not a task of the setup",
	"pidfd_test_send_signal_recycled_pid_fail":            "sets kernel pid_max 8",
	"test_core_internal_process":                          "memory controller",
	"test_core_top_down_constraint":                       "memory controller",
	"test_pids_max":                                       "pids controller",
	"test_pids_events":                                    "pids controller",
	"test_core_no_internal_process_constraint_on_threads": "cpu controller",
}

// TestWhatCannotRun pins which bundled scenarios real processes cannot
// run and why: no scenario is left out silently, and none is refused any
// more for what only a Go helper could not do (threads, cgroup.threads,
// signals the Go runtime handles).
func TestWhatCannotRun(t *testing.T) {
	for _, s := range scenarios.All() {
		_, _, err := conform.Plan(s, s.Options)
		var u *conform.Unsupported
		why, listed := cannotRun[s.Name]
		switch {
		case err == nil && listed && !strings.Contains(why, "controller"):
			t.Errorf("%s: runs on real processes now; take it off cannotRun", s.Name)
		case err == nil:
		case !errors.As(err, &u):
			t.Errorf("%s: %v", s.Name, err)
		case !listed:
			t.Errorf("%s: cannot run on real processes (%s); list it in cannotRun and explain it in docs/conformance.md", s.Name, u.Reason)
		case !strings.Contains(u.Reason, why):
			t.Errorf("%s: reason %q, want one that says %q", s.Name, u.Reason, why)
		}
	}
	for _, name := range []string{"zombie-leader", "test_core_proc_migration"} {
		s, ok := scenarios.Lookup(name)
		require.True(t, ok)
		_, _, err := conform.Plan(s, s.Options)
		require.NoError(t, err, "%s has threads and runs on real processes", name)
	}
}

// TestWhatFilesCannotRun pins the refusals of scenario files that remain
// real on the C interpreter, each with its reason.
func TestWhatFilesCannotRun(t *testing.T) {
	for _, tc := range []struct{ name, program, why string }{
		{"a literal pid", "- kill: {pid: 5, signal: SIGTERM}", "kill of the literal pid 5: real pids differ"},
		{"a literal wait pid", "- wait: {pid: 7}", "wait4 of the literal pid 7: real pids differ"},
		{"a pid written to cgroup.procs", `- write: {file: /t/cgroup.procs, value: "12"}`, `writing "12" to cgroup.procs: real pids differ`},
		{"a tid written to cgroup.threads", `- write: {file: /t/cgroup.threads, value: "12"}`, `writing "12" to cgroup.threads: real pids differ`},
		{"the root's own files", `- read: {file: /cgroup.events}`, "/cgroup.events: the scenario's root cgroup is a child cgroup on the real kernel"},
		{"the root's processes", `- read: {file: /cgroup.procs}`, "reading /cgroup.procs: the scenario's root cgroup is the run's cgroup on the real kernel"},
		{"kernel state no program sees", "- await: {fork-past-can-fork: init}", "await fork-past-can-fork watches kernel state no program can see"},
		{"an OOM event", "- oom: /", "an OOM event, which the harness cannot trigger on demand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.Parse("t.yaml", []byte(`version: 1
cgroups: [{path: /t}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: t
    program:
      `+tc.program+`
      - pause
`))
			require.NoError(t, err)
			_, _, err = conform.Plan(s, s.Options)
			var u *conform.Unsupported
			require.ErrorAs(t, err, &u)
			require.Contains(t, u.Reason, tc.why)
			require.Contains(t, err.Error(), "cannot run on real processes: ")
		})
	}
}

// TestBundledConform runs every bundled scenario that real processes can
// run on this machine's kernel and in the simulator: each must agree.
func TestBundledConform(t *testing.T) {
	opts := kernel(t)
	seeds := uint64(50)
	if testing.Short() {
		seeds = 10
	}
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			r, err := hostlinux.NewRun("conform")
			require.NoError(t, err)
			defer r.Close()
			res, err := conform.Run(r, s, opts, conform.Options{Seeds: seeds})
			var u *conform.Unsupported
			if errors.As(err, &u) {
				t.Skip(u.Reason)
			}
			require.NoError(t, err)
			var b strings.Builder
			res.Report(&b, true)
			if !res.Agree {
				t.Error(b.String())
			}
		})
	}
}

// TestDisagreementIsReported: simulated under the wrong kill option, the
// clone into a killed cgroup disagrees with a kernel that has the
// CLONE_INTO_CGROUP snapshot bug (6.14-6.18), and the report shows the
// child's fate side by side; under the detected option it agrees.
func TestDisagreementIsReported(t *testing.T) {
	opts := kernel(t)
	if opts.Kill != model.KillSeqIntoCgroupBug {
		t.Skipf("this kernel is simulated as %v, without the CLONE_INTO_CGROUP bug the test needs", opts.Kill)
	}
	s, ok := scenarios.Lookup("test_kill_clone_into_killed")
	require.True(t, ok)
	for _, tc := range []struct {
		kill  model.KillMode
		agree bool
	}{{model.KillSeqIntoCgroupBug, true}, {model.KillSeq, false}} {
		o := opts
		o.Kill = tc.kill
		r, err := hostlinux.NewRun("conform")
		require.NoError(t, err)
		res, err := conform.Run(r, s, o, conform.Options{Seeds: 10})
		require.NoError(t, r.Close())
		require.NoError(t, err)
		var b strings.Builder
		res.Report(&b, false)
		require.Equal(t, tc.agree, res.Agree, "kill=%v:\n%s", tc.kill, b.String())
		if !tc.agree {
			t.Log(b.String())
			require.Contains(t, b.String(), "DISAGREE  test_kill_clone_into_killed")
			require.Regexp(t, `forked: reaped, killed by SIGKILL +\| forked: reaped, exited 0`, b.String())
			require.NotContains(t, b.String(), "call reap", "the reap agrees: not listed")
		}
	}
}

// TestFileConform: small scenario files for the places where the harness
// must behave as a C program does (once Go helpers, now the C
// interpreter), each pinned to what the kernel does and compared with the
// simulator.
func TestFileConform(t *testing.T) {
	opts := kernel(t)
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"a handled signal interrupts wait4", `version: 1
tasks:
  - {name: init, program: ignore-sigchld}
  - name: waiter
    settle: true
    program:
      - sigaction: {signal: SIGUSR1, action: handler}
      - wait: {label: w}
      - pause
  - {name: kid, parent: waiter, program: pause}
  - name: sender
    program:
      - kill: {task: waiter, signal: SIGUSR1, label: k}
      - pause
`, []string{"call k: OK", "call w: EINTR", "task waiter: alive in /"}},
		{"a removed cgroup is unpopulated", `version: 1
cgroups: [{path: /gone}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: t
    program:
      - rmdir: {path: /gone, label: rm}
      - await: {unpopulated: /gone}
      - read: {file: /gone/cgroup.events, label: r}
      - pause
`, []string{"call r: ENOENT", "call rm: OK"}},
		{"a task of a sibling pid namespace is not visible", `version: 1
tasks:
  - {name: init, program: ignore-sigchld}
  - {name: a, pidns: new, program: ignore-sigchld}
  - {name: b, pidns: new, program: pause}
  - name: a1
    parent: a
    program:
      - kill: {task: b, signal: SIGKILL, label: k}
      - pause
`, []string{"call k: ESRCH", "task a: alive in /", "task b: alive in /"}},
		// Threads run for real now: a leader's exit(2) leaves a zombie
		// leader whose process lives on (cgroup.procs still lists it,
		// cgroup.threads lists the two live threads by their tids as the
		// reader's namespace numbers them: the setup thread, then the one
		// cloned while it ran), and the process is alive, not exited.
		{"a thread's exit and cgroup.threads", `version: 1
cgroups: [{path: /t}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: proc
    cgroup: /t
    threads: 1
    program:
      - fork: {flags: CLONE_THREAD, label: clone, child: [pause]}
      - exit-thread: 0
  - name: watcher
    program:
      - await: {zombie: proc}
      - read: {file: /t/cgroup.threads, label: threads}
      - read: {file: /t/cgroup.procs, label: procs}
      - pause
`, []string{"call clone: OK", `call threads: OK "3\n5\n"`, "call procs: OK 1 pids", "task proc: alive in /t", "cgroup /t: populated 1 frozen 0 domain"}},
		// A thread that execs (de_thread) takes over the leader's pid:
		// cgroup.threads lists that one pid, the process keeps its
		// cgroup and its parent, and the pidfd of the old leader reports
		// the new program's exit_group(3) (the C interpreter execs itself
		// and goes on in the caller's slot). The leader's own clone
		// result may never be logged: the exec kills it.
		{"a thread's exec keeps the process's pid", `version: 1
cgroups: [{path: /t}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: proc
    cgroup: /t
    program:
      - fork:
          flags: CLONE_THREAD
          label: clone
          child:
            - exec:
                - read: {file: /t/cgroup.threads, label: threads}
                - read: {file: /t/cgroup.procs, label: procs}
                - exit: 3
      - pause
`, []string{`call threads: OK "2\n"`, "call procs: OK 1 pids", "task proc: reaped, exited 3", "cgroup /t: populated 0 frozen 0 domain"}},
		// kill(2) of the pid after a thread's exec reaches the new
		// program: the pid is the process's, whichever thread has it.
		{"kill(2) after an exec reaches the new program", `version: 1
cgroups: [{path: /t}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: proc
    cgroup: /t
    program:
      - fork:
          flags: CLONE_THREAD
          child:
            - exec:
                - fork: {child: [pause]}
                - pause
      - pause
  - name: killer
    program:
      - await: {procs: {cgroup: /t, count: 2}}
      - kill: {task: proc, label: k}
      - await: {procs: {cgroup: /t, count: 1}}
      - read: {file: /t/cgroup.threads, label: left}
      - pause
`, []string{"call k: OK", "task proc: reaped, killed by SIGKILL"}},
		// A vfork parent sleeps until its child execs (exec_mm_release →
		// complete_vfork_done), then returns with the child alive in its
		// new program.
		{"a vfork child's exec releases its parent", `version: 1
cgroups: [{path: /t}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: parent
    cgroup: /t
    program:
      - fork:
          flags: CLONE_VFORK
          label: vfork
          child:
            - exec: [pause]
      - read: {file: /t/cgroup.procs, label: procs}
      - pause
`, []string{"call vfork: OK", "call procs: OK 2 pids", "task parent: alive in /t", "forked: alive in /t"}},
		// A namespace's init whose second thread execs: the thread takes
		// over pid 1 and the child_reaper role (de_thread: an orphan of
		// the new program is reparented to it), so killing the init by
		// its pid kills the new program, whose exit zaps the namespace.
		{"an init's thread execs and stays the namespace's reaper", `version: 1
cgroups: [{path: /c}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: cinit
    cgroup: /c
    pidns: new
    program:
      - fork:
          flags: CLONE_THREAD
          child:
            - exec:
                - fork: {child: [{fork: {child: [pause]}}, exit]}
                - pause
      - pause
  - name: killer
    program:
      - await: {procs: {cgroup: /c, count: 2}}
      - kill: {task: cinit, label: k}
      - await: {unpopulated: /c}
      - pause
`, []string{"call k: OK", "task cinit: reaped, killed by SIGKILL", "cgroup /c: populated 0 frozen 0 domain"}},
		// await exited is a poll of the process's pidfd (pidfd_poll): a
		// leader that exits while its thread runs on does not wake it,
		// on either side (the C interpreter reads num_threads of the
		// zombie leader), while await zombie does.
		{"await exited waits for the whole thread group", `version: 1
cgroups: [{path: /t}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: proc
    cgroup: /t
    threads: 1
    program:
      - exit-thread: 0
  - name: gone
    program:
      - await: {exited: proc}
      - write: {file: /t/cgroup.freeze, value: "0", label: woke}
      - pause
  - name: zombie
    program:
      - await: {zombie: proc}
      - write: {file: /t/cgroup.freeze, value: "0", label: zombie}
      - pause
`, []string{"call zombie: OK", "task proc: alive in /t"}},
		// A thread moves itself into a threaded cgroup by writing "0" to
		// its cgroup.threads (__cgroup_procs_write with threadgroup
		// false): it alone moves, and the process stays in its domain.
		{"a thread moves itself through cgroup.threads", `version: 1
cgroups:
  - path: /d
  - path: /d/t
    type: threaded
tasks:
  - {name: init, program: ignore-sigchld}
  - name: proc
    cgroup: /d
    threads: 1
    program:
      - fork: {flags: CLONE_THREAD, label: clone, child: [{write: {file: /d/t/cgroup.threads, value: "0", label: mv}}, {read: {file: /d/t/cgroup.threads, label: rt}}, pause]}
      - pause
`, []string{"call clone: OK", "call mv: OK", `call rt: OK "4\n"`, "task proc: alive in /d", "cgroup /d/t: populated 1 frozen 0 threaded", "cgroup /d: populated 1 frozen 0 domain threaded"}},
		// Dispositions go through fork as in a C program (a Go helper
		// could not inherit them), and signals the Go runtime handled
		// itself behave as the kernel's defaults (SIGQUIT dumps no core:
		// the interpreter is not dumpable).
		{"an ignored signal survives fork; SIGQUIT kills", `version: 1
tasks:
  - {name: init, program: ignore-sigchld}
  - name: parent
    program:
      - sigaction: {signal: SIGCHLD, action: default}
      - sigaction: {signal: SIGTERM, action: ignore}
      - fork: {label: clone, child: [pause]}
      - kill: {pid: child, signal: SIGTERM, label: term}
      - kill: {pid: child, signal: SIGQUIT, label: quit}
      - wait: {pid: child, label: reap}
      - pause
`, []string{"call term: OK", "call quit: OK", "call reap: OK", "forked: reaped, killed by SIGQUIT"}},
		// A parent outside a frozen cgroup that forks into it gets its
		// child's pid at once; the child is frozen at birth (cgroup_post_fork
		// sets JOBCTL_TRAP_FREEZE) and never runs its write.
		{"a fork into a frozen cgroup from outside returns", `version: 1
cgroups: [{path: /f, freeze: true}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: parent
    program:
      - fork: {into: /f, label: clone, child: [{write: {file: /f/cgroup.freeze, value: "0", label: thaw}}]}
      - read: {file: /f/cgroup.events, label: events}
      - pause
`, []string{"call clone: OK", `call events: OK "populated 1\nfrozen 1\n"`, "forked: alive in /f", "cgroup /f: populated 1 frozen 1 domain"}},
		// MAX_PID_NS_LEVEL counts from the initial namespace: the run's
		// init is pid 1 of a namespace one level down, and so is the
		// simulator's, so the 32nd nested namespace fails with ENOSPC on
		// both (a global init would have room for all 32).
		{"pid namespaces nest to MAX_PID_NS_LEVEL", `version: 1
tasks:
  - {name: init, program: ignore-sigchld}
  - name: nester
    program:
      - repeat:
          times: 32
          do:
            - fork: {flags: CLONE_NEWPID, label: nest}
            - wait: {pid: child}
      - pause
`, []string{"call nest: ENOSPC | OK"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.Parse("t.yaml", []byte(tc.file))
			require.NoError(t, err)
			r, err := hostlinux.NewRun("conform")
			require.NoError(t, err)
			defer r.Close()
			res, err := conform.Run(r, s, opts, conform.Options{Seeds: 30})
			require.NoError(t, err)
			var b strings.Builder
			res.Report(&b, true)
			require.True(t, res.Agree, b.String())
			for _, l := range tc.want {
				require.Contains(t, res.Real, l, b.String())
			}
		})
	}
}

// TestMatches pins what a real run may not see: results of calls whose
// callers all were killed, and the fates of forked processes nobody
// could announce; and that lines pair by what they are about, a cgroup
// path with ':' in it included.
func TestMatches(t *testing.T) {
	colon := conform.SimOutcome{Obs: conform.Observation{"cgroup /a:x: populated 1 frozen 0 domain", "cgroup /a:y: populated 0 frozen 0 domain"}}
	require.True(t, conform.Matches(colon.Obs, colon))
	require.False(t, conform.Matches(conform.Observation{"cgroup /a:x: populated 0 frozen 0 domain", "cgroup /a:y: populated 0 frozen 0 domain"}, colon))

	sim := conform.SimOutcome{
		Obs:       conform.Observation{"call kill: OK", "call self: OK", "forked: reaped, killed by SIGKILL | zombie, exited 0", "task a: alive in /"},
		Unseeable: []string{"call self"},
	}
	for _, tc := range []struct {
		name string
		real conform.Observation
		want bool
	}{
		{"same", sim.Obs, true},
		{"an unseeable call not seen", conform.Observation{"call kill: OK", "forked: reaped, killed by SIGKILL | zombie, exited 0", "task a: alive in /"}, true},
		{"a seeable call not seen", conform.Observation{"call self: OK", "forked: reaped, killed by SIGKILL | zombie, exited 0", "task a: alive in /"}, false},
		{"an unseeable call seen, other result", conform.Observation{"call kill: OK", "call self: EPERM", "forked: reaped, killed by SIGKILL | zombie, exited 0", "task a: alive in /"}, false},
		{"unseen forks, seen fates among the simulated", conform.Observation{"call kill: OK", "forked: reaped, killed by SIGKILL (+2 unseen)", "task a: alive in /"}, true},
		{"only unseen forks", conform.Observation{"call kill: OK", "forked: (+1 unseen)", "task a: alive in /"}, true},
		{"unseen forks, a fate the simulator never reached", conform.Observation{"call kill: OK", "forked: alive in / (+1 unseen)", "task a: alive in /"}, false},
		{"fewer fates without unseen forks", conform.Observation{"call kill: OK", "forked: reaped, killed by SIGKILL", "task a: alive in /"}, false},
		{"a task's fate differs", conform.Observation{"call kill: OK", "forked: reaped, killed by SIGKILL | zombie, exited 0", "task a: reaped, killed by SIGKILL"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, conform.Matches(tc.real, sim))
		})
	}
}

// orphan runs test_kill_simple's setup without its kill: a scenario file
// whose tasks sleep forever, left running (see orphanEnv).
func orphan() {
	s, err := scenarios.Parse("orphan.yaml", []byte(`version: 1
cgroups:
  - path: /c
tasks:
  - name: init
    program: ignore-sigchld
  - name: parent
    cgroup: /c
    program:
      - fork: {label: fork, child: [pause]}
      - pause
`))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	r, err := hostlinux.NewRun("orphan")
	if err == nil {
		p, _, perr := conform.Plan(s, model.DefaultOptions())
		err = perr
		if err == nil {
			_, err = hostlinux.RunScenario(r, p)
		}
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(r.Base)
	for {
		time.Sleep(time.Hour)
	}
}

// TestKilledInTheMiddle: a process killed while its scenario run is up
// leaves a cgroup with live processes; the next run's sweep kills them and
// removes it.
func TestKilledInTheMiddle(t *testing.T) {
	kernel(t)
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), orphanEnv+"=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	base := strings.TrimSpace(line)
	require.Contains(t, base, "/cgsim-orphan-", "the orphan made its run: %q", base)
	var pids []int
	for _, cg := range []string{"", "/c"} {
		b, err := os.ReadFile(base + cg + "/cgroup.procs")
		require.NoError(t, err)
		for _, f := range strings.Fields(string(b)) {
			var pid int
			fmt.Sscan(f, &pid)
			pids = append(pids, pid)
		}
	}
	require.Len(t, pids, 3, "init, parent and its child")

	require.NoError(t, cmd.Process.Kill()) // killed in the middle: no Close
	_, _ = cmd.Process.Wait()
	mnt, err := hostlinux.Mount()
	require.NoError(t, err)
	swept := hostlinux.SweepStale(mnt)
	require.Contains(t, swept, strings.TrimPrefix(base, mnt+"/"))
	_, err = os.Stat(base)
	require.True(t, os.IsNotExist(err), "swept")
	for _, pid := range pids {
		require.Eventually(t, func() bool { return syscall.Kill(pid, 0) == syscall.ESRCH || hostlinux.IsZombie(pid) },
			2*time.Second, 10*time.Millisecond, "process %d survived the sweep", pid)
	}
}

// TestCoverage pins the report of several real runs of a race: which of
// the simulator's outcomes they reached and how often, outcomes that only
// differ in calls no caller returned from counted as one, and runs that
// matched none kept apart.
func TestCoverage(t *testing.T) {
	a := conform.Observation{"call kill: OK", "forked: reaped, killed by SIGKILL"}
	b := conform.Observation{"call kill: OK", "forked: alive in /test"}
	c := conform.Observation{"call kill: OK"}
	p := &conform.Prepared{Scenario: "race", Sim: []conform.SimOutcome{
		{Obs: a, Seeds: []uint64{1, 2, 3, 4}},
		{Obs: b, Seeds: []uint64{5, 6}},
		{Obs: a, Seeds: []uint64{7}, Unseeable: []string{"call kill"}}, // a again, to a real run
		{Obs: c, Seeds: []uint64{8}},
	}}
	for _, tc := range []struct {
		name    string
		matches []int // Result.Match of each run; -1 disagrees
		agree   bool
		summary string
		report  []string
	}{
		{"all agree, two of three seen", []int{1, 0, 1, 2, 1}, true,
			"2 of 3 simulated outcomes seen over 5 runs: B ×3, A ×2",
			[]string{
				"agree     race: 2 of 3 simulated outcomes seen over 5 runs: B ×3, A ×2 (8 schedules)",
				"  A ×2 (5 schedules): forked: reaped, killed by SIGKILL",
				"  B ×3 (2 schedules): forked: alive in /test",
				"  C ×0 (1 schedules): (only the lines common to all)",
			}},
		{"one run", []int{3}, true, "1 of 3 simulated outcomes seen over 1 run: C ×1", nil},
		{"a disagreement", []int{0, -1, -1}, false,
			"1 of 3 simulated outcomes seen over the 1 run that agree: A ×1",
			[]string{
				"DISAGREE  race: 2 of 3 runs disagree; 1 of 3 simulated outcomes seen over the 1 run that agree: A ×1",
				"  matched none ×2: the processes did not come to rest within 10s; call kill: EPERM",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cov := conform.NewCoverage(p)
			require.Len(t, cov.Outcomes, 3, "two outcomes with the same lines are one")
			for _, m := range tc.matches {
				r := &conform.Result{Agree: m >= 0, Match: m, Sim: p.Sim}
				if m < 0 {
					r.Real = conform.Observation{"call kill: EPERM"}
					r.Problems = []string{"the processes did not come to rest within 10s"}
				}
				cov.Add(r)
			}
			require.Equal(t, tc.agree, cov.Agree())
			require.Equal(t, tc.summary, cov.Summary())
			var w strings.Builder
			cov.Report(&w, false)
			for _, l := range tc.report {
				require.Contains(t, strings.Split(w.String(), "\n"), l, w.String())
			}
			j, err := json.Marshal(cov)
			require.NoError(t, err)
			var back conform.Coverage
			require.NoError(t, json.Unmarshal(j, &back))
			require.Equal(t, cov.Runs, back.Runs)
			require.Equal(t, cov.Agreed, back.Agreed)
			require.Equal(t, cov.Outcomes, back.Outcomes)
			require.Contains(t, string(j), `"name":"A"`)
		})
	}
}

// TestUnseeable: the result of a call may be missing from a real run only
// if every caller died other than by its own exit — killed by a signal,
// or by another thread's exit_group (do_group_exit zaps the other
// threads, possibly between a call's return and the write of its
// result) — never if a caller went on to exit by itself.
func TestUnseeable(t *testing.T) {
	s, err := scenarios.Parse("u.yaml", []byte(`version: 1
tasks:
  - {name: init, program: ignore-sigchld}
  - name: grp
    program:
      - fork: {flags: CLONE_THREAD, label: clone, child: [{exit: 4}]}
      - pause
  - name: self
    program:
      - write: {file: /cgroup.procs, value: "0", label: w}
      - exit: 3
  - name: victim
    program:
      - sigaction: {signal: SIGUSR1, action: ignore}
      - pause
  - name: killer
    program:
      - kill: {task: victim, signal: SIGKILL, label: k}
      - pause
`))
	require.NoError(t, err)
	w, setup, err := s.BuildSetup(s.Options, 1)
	require.NoError(t, err)
	outs, truncated := conform.Simulate(w, setup.Hosts, 30, s.Steps())
	require.Zero(t, truncated)
	for _, o := range outs {
		require.Contains(t, o.Unseeable, "call clone", "the caller is zapped by its thread's exit_group: %v", o.Obs)
		require.NotContains(t, o.Unseeable, "call w", "the caller exited by itself after the call")
		require.NotContains(t, o.Unseeable, "call k", "the caller is alive")
		require.Contains(t, o.Obs, "task grp: reaped, exited 4")
		require.Contains(t, o.Obs, "task self: reaped, exited 3")
	}
}
