//go:build linux

package hostlinux

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

func TestMain(m *testing.M) {
	MaybeHelper()
	code := m.Run()
	// After the whole suite, nothing of its runs may be left.
	if left := LeftAfterSuite(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: cgroups left behind by the suite: %v\n", left)
		code = 1
	}
	os.Exit(code)
}

// needKernel skips the test, saying exactly what is missing, unless runs
// on the real kernel can happen here.
func needKernel(t *testing.T) {
	t.Helper()
	if err := Check(); err != nil {
		t.Skip("no real-kernel runs here: " + err.Error())
	}
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestRunCleanup: Close kills every process of the run's cgroup, those it
// started and their children, and removes the cgroups.
func TestRunCleanup(t *testing.T) {
	needKernel(t)
	r, err := NewRun("cleanup")
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(r.Path("/a"), 0o755))
	require.NoError(t, os.Mkdir(r.Path("/a/b"), 0o755))
	var pids []int
	for _, cg := range []string{"/", "/a", "/a/b"} {
		p, err := r.Start(cg, "fork:2")
		require.NoError(t, err)
		pids = append(pids, p.Pid)
	}
	require.Eventually(t, func() bool {
		procs, _ := os.ReadFile(r.Path("/a/b/cgroup.procs"))
		return len(strings.Fields(string(procs))) == 3
	}, 5*time.Second, 10*time.Millisecond, "each helper and its two children are in the cgroup")
	require.NoError(t, r.Close())
	_, err = os.Stat(r.Base)
	require.True(t, os.IsNotExist(err), "the run's cgroup is removed")
	for _, pid := range pids {
		require.False(t, alive(pid), "pid %d survived Close", pid)
	}
	require.NoError(t, r.Close(), "Close twice is harmless")
}

// TestStaleSweep: a process killed in the middle of a run leaves its
// cgroup and helpers; the next run (SweepStale) kills and removes them.
func TestStaleSweep(t *testing.T) {
	needKernel(t)
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), HelperEnv+"=orphan-run")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	base := strings.TrimSpace(line)
	require.True(t, strings.Contains(base, "/cgsim-orphan-"), "the orphan made its run: %q", base)
	procs, err := os.ReadFile(base + "/cgroup.procs")
	require.NoError(t, err)
	helpers := strings.Fields(string(procs))
	require.Len(t, helpers, 2)

	require.NoError(t, cmd.Process.Kill()) // killed in the middle: no Close
	_, _ = cmd.Process.Wait()
	_, err = os.Stat(base)
	require.NoError(t, err, "the orphan's cgroup outlives it")

	mnt, err := Mount()
	require.NoError(t, err)
	swept := SweepStale(mnt)
	require.Contains(t, swept, strings.TrimPrefix(base, mnt+"/"))
	_, err = os.Stat(base)
	require.True(t, os.IsNotExist(err), "swept")
	for _, h := range helpers {
		var pid int
		fmt.Sscan(h, &pid)
		require.Eventually(t, func() bool { return !alive(pid) || IsZombie(pid) }, 2*time.Second, 10*time.Millisecond, "helper %d survived the sweep", pid)
	}
}

// TestHostRefusesMovesFromOutside: the real Host never moves a process
// into the run that the run did not create, however the pid is written
// (the kernel parses cgroup.procs with kstrtoint(…, 0)).
func TestHostRefusesMovesFromOutside(t *testing.T) {
	needKernel(t)
	r, err := NewRun("moves")
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close()) }()
	require.NoError(t, os.Mkdir(r.Path("/a"), 0o755))
	p, err := r.Start("/", "pause")
	require.NoError(t, err)
	h := &Host{Run: r}
	for _, v := range []string{"1", "0x1", "01", "0", fmt.Sprint(os.Getpid()), fmt.Sprintf("%#x", os.Getpid()), "pid", "-1"} {
		require.Equal(t, model.EPERM, h.WriteFile("/a/cgroup.procs", v), "value %q", v)
	}
	require.Len(t, h.RefusedMoves, 8)
	self, _ := procCgroup(os.Getpid())
	require.False(t, r.Contains(self), "this process was not moved")
	require.NoError(t, h.WriteFile("/a/cgroup.procs", fmt.Sprint(p.Pid)), "a helper of the run may move")
	cg, _ := procCgroup(p.Pid)
	require.Equal(t, r.Rel+"/a", cg)
}
