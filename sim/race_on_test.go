//go:build race

package sim_test

// raceOn: the race detector slows every step by an order of magnitude;
// the long single-goroutine cross-checks skip under it.
const raceOn = true
