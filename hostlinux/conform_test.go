//go:build linux

package hostlinux

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/killer"
)

// TestKillersConform runs every userspace killer of package killer on real
// processes in real cgroups of this machine, with the very same Go code,
// and requires the outcome to be one the simulator, under the options
// Detect finds for this kernel, also reaches for the same machine.
func TestKillersConform(t *testing.T) {
	needKernel(t)
	d, err := Detect()
	require.NoError(t, err)
	for _, s := range Setups {
		for _, k := range killer.Killers {
			t.Run(s.Name+"/"+k.ID, func(t *testing.T) {
				if k.NotReal != "" {
					t.Skip(k.NotReal)
				}
				simulated, err := Simulate(s, k, d.Options, 10)
				require.NoError(t, err)
				r, err := NewRun("conform")
				require.NoError(t, err)
				defer func() { require.NoError(t, r.Close()) }()
				real, detail, err := RunReal(r, s, k)
				require.NoError(t, err)
				t.Logf("real: %s %s; simulator: %v", real, detail, simulated)
				require.Contains(t, simulated, real, "the real kernel ended %s (%s); the simulator only %v", real, detail, simulated)
			})
		}
	}
}
