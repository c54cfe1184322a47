package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExploreFindsEscapeAndReplays(t *testing.T) {
	file := filepath.Join(t.TempDir(), "fvk.schedule")
	code, out, _ := run("explore", "fork-vs-kill", "-kill=flag", "-mode=exhaustive", "-o", file)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "VIOLATION: empty-except-kthreads")
	require.Contains(t, out, "simrun replay "+file)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(data), "options kill=flag")

	code, out, _ = run("replay", file)
	require.Equal(t, 1, code)
	require.Contains(t, out, "CGRP_KILL cleared")
	require.Contains(t, out, "VIOLATION: empty-except-kthreads")
	// Byte-identical on a second replay.
	_, out2, _ := run("replay", file)
	require.Equal(t, out, out2)
}

func TestExploreAtomicHolds(t *testing.T) {
	code, out, _ := run("explore", "fork-vs-kill", "-kill=atomic", "-mode=exhaustive")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "verdict: no violation found")
}

func TestRunForkBomb(t *testing.T) {
	code, out, _ := run("run", "fork-bomb", "-seed", "3")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "verdict: every property held")
	require.Contains(t, out, "pids_can_fork: /bomb over pids.max")
}

func TestRunJSON(t *testing.T) {
	code, out, _ := run("run", "zap", "-json")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.True(t, strings.HasPrefix(lines[0], `{"scenario":"zap","options":"kill=seq zap=current`), lines[0])
	require.Contains(t, out, `"func":"zap_pid_ns_processes"`)
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"bogus"}, {"run"}, {"run", "no-such-scenario"}, {"run", "fork-vs-kill", "-kill=maybe"},
		{"explore", "fork-vs-kill", "-mode=sideways"}, {"explore", "fork-bomb", "-seeds=9-1"},
		{"replay", "/nonexistent/file"},
	} {
		code, _, errs := run(args...)
		require.Equal(t, 2, code, "%v", args)
		require.NotEmpty(t, errs, "%v", args)
	}
	code, _, errs := run("-h")
	require.Equal(t, 0, code)
	require.Contains(t, errs, "simrun runs cgsim scenarios")
}

func TestReplayBadFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.schedule")
	require.NoError(t, os.WriteFile(file, []byte("scenario fork-vs-kill\nfrobnicate 3\n"), 0o644))
	code, _, errs := run("replay", file)
	require.Equal(t, 2, code)
	require.Contains(t, errs, "bad.schedule:2: unknown key \"frobnicate\"")
}

func TestExplain(t *testing.T) {
	// After 5 steps of the 1.5 schedule under kill=flag: the forker has
	// committed its child, which is on no cgroup list yet, and the writer
	// holds cgroup_mutex with CGRP_KILL set.
	code, out, _ := run("explain", "fork-vs-kill", "-kill=flag", "-schedule", "1 1 2 2 2", "-step", "5")
	require.Equal(t, 0, code)
	for _, want := range []string{
		"forker[pid 2]  cgroup_post_fork, cgroup /test",
		"T3[pid 4]  TASK_NEW (not yet woken by wake_up_new_task), blocked, no cgroup yet",
		"/test  type domain, populated 1, frozen 0, kill_seq 0, CGRP_KILL set",
		"cgroup_mutex held by writer[pid 3]",
	} {
		require.Contains(t, out, want)
	}
	code, out, _ = run("explain", "zap", "-step", "0")
	require.Equal(t, 0, code)
	require.Contains(t, out, "ns 2 (level 2): child_reaper ninit[pid 4/3/1], 2 pid(s) allocated, live")
	code, out, _ = run("explain", "zap", "-dot")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, "digraph cgsim {"))
	require.Contains(t, out, "shape=box")
	// At the end of the zap the container's namespaces are dead.
	code, out, _ = run("explain", "zap")
	require.Equal(t, 0, code)
	require.Contains(t, out, "ns 1 (level 1): child_reaper cinit[pid 2/1], 0 pid(s) allocated, dead (PIDNS_ADDING cleared: forks get ENOMEM)")
}
