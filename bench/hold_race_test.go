//go:build race

package bench_test

// raceEnabled: the race detector slows miniredis's Lua (a new interpreter per script call)
// several times, so tests on in-process nodes scale their load down.
const raceEnabled = true
