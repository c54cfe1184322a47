//go:build !race

package sim

// raceOn: see race_on_test.go (the same constant for this package's
// internal tests).
const raceOn = false
