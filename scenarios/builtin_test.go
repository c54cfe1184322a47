package scenarios_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim/explore"
)

// TestBundledScenarios explores every bundled scenario under every kill
// and zap mode and checks the result against the scenario's expectation.
func TestBundledScenarios(t *testing.T) {
	require.NotEmpty(t, scenarios.All())
	for _, s := range scenarios.All() {
		for _, kill := range model.KillModes {
			for _, zap := range model.ZapModes {
				opts := s.Options
				opts.Kill, opts.Zap = kill, zap
				t.Run(fmt.Sprintf("%s/kill=%s/zap=%s", s.Name, kill, zap), func(t *testing.T) {
					w, err := s.Build(opts)
					require.NoError(t, err)
					w.CheckInvariants = true
					violation := ""
					if s.Seeds > 0 {
						seeds := s.Seeds
						if testing.Short() {
							seeds /= 4
						}
						for seed := 1; seed <= seeds && violation == ""; seed++ {
							violation = explore.Random(w, uint64(seed), s.MaxSteps).Violation
						}
					} else {
						rep := explore.Exhaustive(w, s.Bounds)
						require.False(t, rep.Truncated)
						violation = rep.Violation
					}
					if s.Expectation(opts) == scenarios.ExpectViolation {
						require.NotEmpty(t, violation, "the scenario's race must be found")
						require.NotContains(t, violation, "invariant")
					} else {
						require.Empty(t, violation)
					}
				})
			}
		}
	}
}
