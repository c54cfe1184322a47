package hostlinux

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHunts: the clone-into-killed-cgroup hunt reproduces the bug on
// every try exactly where Detect finds it; the fork-vs-kill hunt runs its
// tries and accounts for each (whether it reproduces is the kernel's
// business: `simrun hunt fork-vs-kill -n 3000` is the real hunt).
func TestHunts(t *testing.T) {
	needKernel(t)
	d, err := Detect()
	require.NoError(t, err)
	rep, err := HuntCloneIntoKilled(5, nil)
	require.NoError(t, err)
	bug := strings.HasSuffix(d.Evidence[0], "signal 9")
	if bug {
		require.Equal(t, 5, rep.Reproduced, rep.String())
	} else {
		require.Zero(t, rep.Reproduced, rep.String())
	}
	rep, err = HuntForkVsKill(30, nil)
	require.NoError(t, err)
	total := 0
	for _, n := range rep.Seen {
		total += n
	}
	require.Equal(t, 30, rep.Tries)
	require.Equal(t, 30, total)
	t.Log(rep)

	// The model's zap=current (today's zap_pid_ns_processes) has no
	// window: a fork racing the init's death is killed or fails with
	// ENOMEM. A task outliving its namespace here would be a disagreement.
	rep, err = HuntZapFork(10, nil)
	require.NoError(t, err)
	require.Zero(t, rep.Reproduced, "a task outlived its pid namespace on the real kernel: %s", rep)
	t.Log(rep)
}
