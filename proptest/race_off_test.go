//go:build !race

package proptest_test

// raceEnabled: the race detector slows every scenario several times over.
const raceEnabled = false
