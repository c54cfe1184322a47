//go:build linux

package hostlinux

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// huntOrphanEnv makes this test binary a process that hunts until it is
// killed (TestHuntKilledMidway): once the first try is done it prints its
// run cgroups, v2 then v1, one a line.
const huntOrphanEnv = "CGSIM_HUNT_ORPHAN"

func init() {
	if os.Getenv(huntOrphanEnv) == "" {
		return
	}
	o := DefaultHuntOptions()
	o.N, o.Crowd = 1000000, 16
	announced := false
	o.Progress = func(int) {
		if announced {
			return
		}
		announced = true
		mnt, _ := Mount()
		for _, name := range Leftovers(mnt, os.Getpid()) {
			fmt.Println(filepath.Join(mnt, name))
		}
		for _, d := range V1Leftovers(os.Getpid()) {
			fmt.Println(d)
		}
		fmt.Println("hunting")
	}
	_, err := HuntForkVsKill(o)
	fmt.Fprintln(os.Stderr, "orphan hunt ended:", err)
	os.Exit(1)
}

// TestParseHunt pins how the hunter's lines become reports: each class
// counted under its label, the reproducing ones counted and described,
// csets=alternate split in two reports, and a hunter's error or an
// unknown class an error.
func TestParseHunt(t *testing.T) {
	lines := `try 0 raced csets=on forks=8 inflight=1 walk_us=80.0 last_us=-30.5 delay_us=23 left=0 survivors=0 failed=0
try 1 escaped csets=off forks=9 inflight=1 walk_us=90.0 last_us=-25.0 delay_us=2 left=1 survivors=1 failed=0
  forks rel k0 (us): 1 2 3 | k1 90
try 2 escaped csets=on forks=5 inflight=1 walk_us=85.5 last_us=-28.0 delay_us=9 left=1 survivors=1 failed=0
try 3 killed-before-forking csets=off forks=0 inflight=0 walk_us=70.0 last_us=0 delay_us=0 left=0 survivors=0 failed=0
done 4
`
	reps := map[string]*HuntReport{}
	var progress []int
	done, err := parseHunt("fork-vs-kill", strings.NewReader(lines), func(arr string) *HuntReport {
		if reps[arr] == nil {
			reps[arr] = &HuntReport{Race: "fork-vs-kill", Seen: map[string]int{}, Details: map[string]int{}}
		}
		return reps[arr]
	}, func(n int) { progress = append(progress, n) })
	require.NoError(t, err)
	require.Equal(t, 4, done)
	require.Equal(t, []int{1, 2, 3, 4}, progress)
	on, off := reps["on"], reps["off"]
	require.Equal(t, 2, on.Tries)
	require.Equal(t, 1, on.Reproduced)
	require.Equal(t, map[string]int{"raced, contained": 1, "escaped": 1}, on.Seen)
	require.Equal(t, []string{"fork began 28.0µs before the write returned; walk 85.5µs"}, on.Hits)
	require.Equal(t, map[string]int{"escaped": 1, "killed before forking": 1}, off.Seen)
	require.Contains(t, off.String(), "fork-vs-kill: reproduced 1 of 2 tries (escaped 1, killed before forking 1)")
	require.NotContains(t, off.String(), "passed")

	zap := &HuntReport{Race: "zap", Seen: map[string]int{}, Details: map[string]int{}}
	_, err = parseHunt("zap", strings.NewReader("try 0 raced forks=3 injected=4 inflight=1 enomem=7 zap_us=600.0\ndone 1\n"),
		func(string) *HuntReport { return zap }, nil)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"zapped while forking": 1}, zap.Seen)
	require.Equal(t, 7, zap.Details["forks into the dying namespace refused with ENOMEM"])
	require.Equal(t, "zap: not reproduced in 1 tries (zapped while forking 1)", zap.String())

	_, err = parseHunt("zap", strings.NewReader("error mkdir /x (errno 17 File exists)\n"), func(string) *HuntReport { return zap }, nil)
	require.ErrorContains(t, err, "mkdir /x")
	_, err = parseHunt("zap", strings.NewReader("try 0 nonesuch\n"), func(string) *HuntReport { return zap }, nil)
	require.ErrorContains(t, err, `unknown class "nonesuch"`)
	n, err := parseHunt("zap", strings.NewReader("try 0 raced\n"), func(string) *HuntReport { return zap }, nil)
	require.NoError(t, err)
	require.Equal(t, -1, n, "a hunter that never said done")
}

// TestHunts runs every hunt briefly on the real kernel: each try is
// classified, nothing is left behind (no cgroup in v2 or in any v1
// hierarchy, no process), clone-into-killed-cgroup reproduces on every
// try or on none (it is deterministic), zombie-leader on every try (the model's
// gap), and zap and kill-skips-dying never (the model finds no escape
// there on this kernel: one would be a disagreement). Whether
// fork-vs-kill and fork-bomb reproduce in a few tries is the kernel's
// business: `simrun hunt fork-vs-kill -time 5m` is the real hunt.
func TestHunts(t *testing.T) {
	needKernel(t)
	if err := HaveCC(); err != nil {
		t.Skip(err)
	}
	quick := func(n int) HuntOptions {
		o := DefaultHuntOptions()
		o.N, o.Crowd = n, 16
		return o
	}
	classified := func(rep HuntReport, tries int) {
		t.Helper()
		total := 0
		for _, c := range rep.Seen {
			total += c
		}
		require.Equal(t, tries, rep.Tries, rep.String())
		require.Equal(t, tries, total, rep.String())
		require.Len(t, rep.Hits, rep.Reproduced)
		t.Log(rep)
	}

	// Deterministic: every try or none (Detect's probe is the same clone).
	rep, err := HuntCloneIntoKilled(quick(5))
	require.NoError(t, err)
	classified(rep, 5)
	require.Contains(t, []int{0, 5}, rep.Reproduced, rep.String())

	o := quick(20)
	o.Csets, o.Order = "alternate", "middle"
	reps, err := HuntForkVsKill(o)
	require.NoError(t, err)
	require.Len(t, reps, 2)
	require.Contains(t, reps[0].Config, "csets=on order=middle")
	require.Contains(t, reps[1].Config, "csets=off order=middle")
	classified(reps[0], 10)
	classified(reps[1], 10)

	o = quick(3)
	o.Clone, o.Child = "fork", "pause"
	reps, err = HuntForkVsKill(o)
	require.NoError(t, err)
	classified(reps[0], 3)

	rep, err = huntC2("fork-bomb", quick(8))
	require.NoError(t, err)
	classified(rep, 8)

	rep, err = huntC2("zap", quick(8))
	require.NoError(t, err)
	classified(rep, 8)
	require.Zero(t, rep.Reproduced, "a task outlived its pid namespace on the real kernel: %s", rep)
	require.Equal(t, 8, rep.Seen["zapped while forking"]+rep.Seen["zapped between forks"]+rep.Seen["zapped before forking"])

	rep, err = huntC2("zombie-leader", quick(3))
	require.NoError(t, err)
	classified(rep, 3)
	require.Equal(t, 3, rep.Reproduced, "the model's zombie-leader gap: the process survives cgroup.kill: %s", rep)
	o = quick(6)
	o.Mode = "race"
	rep, err = huntC2("zombie-leader", o)
	require.NoError(t, err)
	classified(rep, 6)

	rep, err = huntC2("exec-vs-kill", quick(10))
	require.NoError(t, err)
	classified(rep, 10)

	rep, err = huntC2("kill-skips-dying", quick(12))
	require.NoError(t, err)
	classified(rep, 12)
	require.Zero(t, rep.Reproduced, "a task survived kill(2) and cgroup.kill: %s", rep)

	// Nothing left: no run cgroup in v2, no throw-away cgroup in v1, no
	// process (a zombie too) still in one of this process's runs.
	mnt, err := Mount()
	require.NoError(t, err)
	require.Empty(t, Leftovers(mnt, os.Getpid()))
	require.Empty(t, V1Leftovers(os.Getpid()))
	require.Empty(t, processesOfRuns(os.Getpid()))
}

// processesOfRuns lists the processes (zombies included) whose cgroup,
// in any hierarchy, is one of the hunt runs of process pid.
func processesOfRuns(pid int) []int {
	mark := fmt.Sprintf("/cgsim-hunt-%d-%d-", pidNS(), pid)
	files, _ := filepath.Glob("/proc/[0-9]*/cgroup")
	var out []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), mark) {
			p, _ := strconv.Atoi(strings.Split(f, "/")[2])
			out = append(out, p)
		}
	}
	return out
}

// TestHuntKilledMidway: a process SIGKILLed in the middle of a
// fork-vs-kill hunt (no Close, no clean-up of its own) leaves its v2 run
// cgroup and its v1 throw-away cgroup; the next run's sweeps (SweepStale,
// SweepStaleV1) remove both, and no process of the hunt is left alive
// (the hunter dies with its parent, PR_SET_PDEATHSIG, and the sweep kills
// the rest through cgroup.kill; orphans' zombies wait for init to reap
// them).
func TestHuntKilledMidway(t *testing.T) {
	needKernel(t)
	if err := HaveCC(); err != nil {
		t.Skip(err)
	}
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), huntOrphanEnv+"=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var dirs []string
	rd := bufio.NewReader(out)
	for {
		line, err := rd.ReadString('\n')
		require.NoError(t, err, "the orphan hunt announces its cgroups")
		if line = strings.TrimSpace(line); line == "hunting" {
			break
		}
		dirs = append(dirs, line)
	}
	require.Len(t, dirs, 2, "a v2 run cgroup and a v1 one: %v", dirs)
	require.NoError(t, cmd.Process.Kill())
	_, _ = cmd.Process.Wait()
	for _, d := range dirs {
		require.DirExists(t, d, "left by the killed hunt")
	}

	mnt, err := Mount()
	require.NoError(t, err)
	require.Contains(t, SweepStale(mnt), filepath.Base(dirs[0]))
	require.Eventually(t, func() bool {
		swept := SweepStaleV1()
		_, err := os.Stat(dirs[1])
		return len(swept) > 0 || os.IsNotExist(err)
	}, 5*time.Second, 50*time.Millisecond, "the v1 cgroup is swept once its processes are gone")
	for _, d := range dirs {
		require.NoDirExists(t, d)
	}
	require.Eventually(t, func() bool {
		for _, p := range processesOfRuns(cmd.Process.Pid) {
			if !IsZombie(p) {
				return false
			}
		}
		return true
	}, 5*time.Second, 50*time.Millisecond, "a process of the killed hunt is alive: %v", processesOfRuns(cmd.Process.Pid))
}

// TestV1Sweep: a throw-away v1 cgroup whose creator died is removed by
// SweepStaleV1; one of a live creator, or of another pid namespace, or
// not named like a run, is left alone.
func TestV1Sweep(t *testing.T) {
	needKernel(t)
	mounts := v1Mounts()
	mnt, ok := mounts["freezer"]
	if !ok {
		t.Skip("no v1 freezer hierarchy here")
	}
	// A pid that is free now (a reaped child's), standing for a dead creator.
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	require.NoError(t, err)
	_, _ = p.Wait()
	require.Equal(t, syscall.ESRCH, syscall.Kill(p.Pid, 0))
	dead := filepath.Join(mnt, fmt.Sprintf("cgsim-hunt-%d-%d-1", pidNS(), p.Pid))
	live := filepath.Join(mnt, fmt.Sprintf("cgsim-hunt-%d-%d-77", pidNS(), os.Getpid()))
	other := filepath.Join(mnt, fmt.Sprintf("cgsim-hunt-%d-%d-1", pidNS()+1, p.Pid))
	for _, d := range []string{dead, dead + "/b", live, other} {
		require.NoError(t, os.Mkdir(d, 0o755))
	}
	defer func() {
		for _, d := range []string{live, other} {
			_ = removeV1Dir(d)
		}
	}()
	swept := SweepStaleV1()
	require.Contains(t, swept, dead)
	require.NoDirExists(t, dead)
	require.DirExists(t, live)
	require.DirExists(t, other)
	require.Equal(t, []string{live}, V1Leftovers(os.Getpid()))
}
