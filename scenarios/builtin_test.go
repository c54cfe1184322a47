package scenarios_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
)

// TestBundledScenarios explores every bundled scenario under every kill,
// zap and populated mode and checks the result against the scenario's
// expectation.
// Runs check the model's invariants after every step. With -short, random
// scenarios try a quarter of their seeds.
func TestBundledScenarios(t *testing.T) {
	require.Empty(t, scenarios.BundledErrors)
	require.NotEmpty(t, scenarios.All())
	for _, s := range scenarios.All() {
		for _, kill := range model.KillModes {
			for _, zap := range model.ZapModes {
				for _, pop := range model.PopulatedModes {
					opts := s.Options
					opts.Kill, opts.Zap, opts.Populated = kill, zap, pop
					t.Run(fmt.Sprintf("%s/kill=%s/zap=%s/populated=%s", s.Name, kill, zap, pop), func(t *testing.T) {
						t.Parallel()
						x := scenarios.Exploration{CheckInvariants: true, NoShrink: true}
						if s.ExploreMode() == "random" && testing.Short() {
							lo, hi := s.Seeds()
							x.FirstSeed, x.LastSeed = lo, lo+(hi-lo)/4
						}
						out, err := s.Explore(opts, x)
						require.NoError(t, err)
						if out.Mode == "exhaustive" {
							require.False(t, out.Report.Truncated, "the bounds cut the search")
						}
						if s.Expectation(opts) == scenarios.ExpectViolation {
							require.NotEmpty(t, out.Violation, "the scenario's race must be found")
							require.NotContains(t, out.Violation, "invariant")
							require.NotContains(t, out.Violation, "kernel panic")
						} else {
							require.Empty(t, out.Violation)
						}
					})
				}
			}
		}
	}
}
