// Package clock is the only source of "now" and of timers for quorumlock, and holds the validity
// arithmetic of a quorum lock as pure functions.
//
// Everything that measures time uses the monotonic reading carried by time.Time values returned
// from Clock.Now (the time package's rule: the wall clock is for telling time, the monotonic clock
// is for measuring it). Tests inject the fake clock from package clocktest instead of sleeping.
package clock
