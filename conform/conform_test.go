package conform_test

import (
	"bufio"
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
// the test saying what is missing.
func kernel(t *testing.T) model.Options {
	t.Helper()
	if err := hostlinux.Check(); err != nil {
		t.Skip("no real-kernel runs here: " + err.Error())
	}
	d, err := hostlinux.Detect()
	require.NoError(t, err)
	return d.Options
}

// cannotRun are the bundled scenarios real processes cannot run, and
// why; docs/conformance.md explains each reason. A scenario that needs
// a controller runs where the hierarchy offers it.
var cannotRun = map[string]string{
	"cgroup-kill-errors":            "the scenario's root cgroup is a child cgroup on the real kernel",
	"fork-bomb":                     "pids",
	"kill-skips-kthread":            "kernel thread, which user space cannot create",
	"killer-runc-private-pidns":     "runs a userspace killer",
	"killer-systemd-migration":      "runs a userspace killer",
	"test_core_internal_process":    "memory controller",
	"test_core_proc_migration":      "extra threads",
	"test_core_top_down_constraint": "memory controller",
	"test_pids_max":                 "pids",
	"zombie-leader":                 "extra threads",
}

// TestWhatCannotRun pins which bundled scenarios real processes cannot
// run and why: no scenario is left out silently.
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

// TestFileConform: small scenario files for the places where a Go helper
// differs from a C program by default, each pinned to what the kernel does
// and compared with the simulator.
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
