//go:build !race

package docguard

// raceSlowdown is how much slower the race detector makes a timed test.
const raceSlowdown = 1
