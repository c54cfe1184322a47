package killer_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/killer"
	"cgsim/model"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/killers.md")

const (
	docFile  = "../docs/killers.md"
	docBegin = "<!-- begin generated matrix: go test ./killer -run TestMatrix -update -->\n"
	docEnd   = "<!-- end generated matrix -->\n"
)

// campaigns are the matrices of docs/killers.md: today's kernel, and one
// whose cgroup.kill has no window, which separates the killers' own
// weaknesses from the kernel's.
func campaigns() []killer.Campaign {
	seq := killer.DefaultCampaign()
	atomic := killer.DefaultCampaign()
	atomic.Options.Kill = model.KillAtomic
	return []killer.Campaign{seq, atomic}
}

var matrices [][][]killer.Cell

func matrix(t *testing.T) [][][]killer.Cell {
	if matrices == nil {
		for _, c := range campaigns() {
			m, err := c.Matrix()
			require.NoError(t, err)
			matrices = append(matrices, m)
		}
	}
	return matrices
}

// TestMatrix computes every killer against every race and checks that
// docs/killers.md shows exactly that (the table comes from runs; -update
// rewrites it), and that every cell which is not "contained" is
// explained, and no other.
func TestMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the matrix runs about 2 × 17 × 11 × 100 random runs; skipped with -short")
	}
	ms := matrix(t)
	var buf bytes.Buffer
	killer.WriteDoc(&buf, campaigns(), ms)
	data, err := os.ReadFile(docFile)
	require.NoError(t, err)
	doc := string(data)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	require.True(t, i >= 0 && j > i, "docs/killers.md lacks the generated-matrix markers")
	if *update {
		doc = doc[:i+len(docBegin)] + buf.String() + doc[j:]
		require.NoError(t, os.WriteFile(docFile, []byte(doc), 0o644))
	} else {
		require.Equal(t, buf.String(), doc[i+len(docBegin):j], "docs/killers.md is stale: go test ./killer -run TestMatrix -update")
	}
	for _, m := range ms {
		for a, k := range killer.Killers {
			for b, r := range killer.Races {
				cell := m[a][b]
				why := killer.Why(k, r, cell.Outcome)
				if cell.Outcome == killer.Contained {
					require.Empty(t, why, "%s × %s is contained, yet explained", k.Name, r.Name)
				} else {
					require.NotEmpty(t, why, "%s × %s: %s (%s) has no explanation", k.Name, r.Name, cell.Outcome, cell.Detail)
				}
			}
		}
	}
}

// TestWeaknesses: each killer's known weakness (userspace-killers.md) is
// shown by a race it loses and that a killer without the weakness wins.
func TestWeaknesses(t *testing.T) {
	if testing.Short() {
		t.Skip("uses the matrix; skipped with -short")
	}
	atomic := matrix(t)[1] // kill=atomic: the killers' own weaknesses only
	at := func(k killer.Killer, race string) killer.Outcome {
		for a, kk := range killer.Killers {
			for b, r := range killer.Races {
				if kk.Name == k.Name && r.Name == race {
					return atomic[a][b].Outcome
				}
			}
		}
		t.Fatalf("no cell %s × %s", k.Name, race)
		return 0
	}
	for _, c := range []struct {
		weak   killer.Killer
		race   string
		want   killer.Outcome
		strong killer.Killer
	}{
		{killer.Naive, "fork-during-snapshot", killer.Escaped, killer.CgroupKill},
		{killer.Naive, "pid-reuse-outside", killer.WrongKill, killer.CgroupKill},
		{killer.SystemdCgKill, "migration-into-visited", killer.Escaped, killer.CgroupKill},
		{killer.SystemdCgKill, "pid-reuse-outside", killer.WrongKill, killer.RuncFallback},
		{killer.SystemdCgKillOld, "pid-reuse-outside", killer.WrongKill, killer.Mesos},
		{killer.SystemdStop, "kthread-in-target", killer.GaveUp, killer.SystemctlKill},
		{killer.SystemctlKill, "zombie-leader", killer.Escaped, killer.SystemdCgKill},
		{killer.CgroupKill, "killer-inside-target", killer.KillerDied, killer.SystemdCgKill},
		{killer.CgroupKill, "threaded-target", killer.GaveUp, killer.RuncFallback},
		{killer.NomadV1, "freeze-not-awaited", killer.Escaped, killer.RuncFallback},
		{killer.NomadV1, "killer-inside-target", killer.NoTermination, killer.SystemdCgKill},
		{killer.NomadV2, "rmdir-after-kill", killer.Leaked, killer.Crun},
		{killer.Runc, "private-pidns-outsider", killer.Escaped, killer.Crun},
		{killer.RuncFallback, "private-pidns-outsider", killer.Escaped, killer.CrunFallback},
		{killer.CrunFallback, "pid-reuse-outside", killer.WrongKill, killer.Mesos},
		{killer.Kubelet, "fork-during-snapshot", killer.GaveUp, killer.SystemdStop},
		{killer.Mesos, "killer-inside-target", killer.NoTermination, killer.SystemdCgKill},
		{killer.NomadV1, "killer-inside-target", killer.NoTermination, killer.NomadGroupKiller},
		{killer.SystemdStopProcess, "rmdir-after-kill", killer.Escaped, killer.SystemdStop},
		{killer.SystemdCgKill, "fork-bomb-small-pid-space", killer.Escaped, killer.CgroupKill},
	} {
		require.Equal(t, c.want, at(c.weak, c.race), "%s × %s", c.weak.Name, c.race)
		require.Equal(t, killer.Contained, at(c.strong, c.race), "%s × %s (the contrast)", c.strong.Name, c.race)
	}
}
