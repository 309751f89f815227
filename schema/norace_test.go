//go:build !race

package schema_test

// raceSlowdown is how much slower the race detector makes a timed test.
const raceSlowdown = 1
