//go:build linux

package hostlinux

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/scenarios"
)

// TestDetectAgreesWithModel: the kernel's kill option, found by probing,
// is the one under which the model reproduces the probe: the bundled
// test_kill_clone_into_killed scenario is violated exactly when the probe
// saw the child SIGKILLed.
func TestDetectAgreesWithModel(t *testing.T) {
	needKernel(t)
	d, err := Detect()
	require.NoError(t, err)
	t.Logf("kernel %s: %s", d.Release, d.Options)
	for _, e := range d.Evidence {
		t.Log(e)
	}
	s, ok := scenarios.Lookup("test_kill_clone_into_killed")
	require.True(t, ok)
	out, err := s.Explore(d.Options, scenarios.Exploration{NoShrink: true})
	require.NoError(t, err)
	bug := d.Evidence[0][len(d.Evidence[0])-len("signal 9"):] == "signal 9"
	require.Equal(t, bug, out.Violation != "", "the model under the detected options must reproduce the probe")
}
