// Package fencing holds the fencing token of a quorum lock and guards that check tokens where the
// protected data lives.
//
// A lock alone cannot stop a holder that paused past its lease (a GC pause, swap, a slow network)
// from writing after someone else was granted the lock. Every grant therefore carries a Token that
// is strictly greater than the token of every earlier grant of the same lock. The store that the
// lock protects must compare the token with the highest one it has accepted and refuse older ones,
// in the same atomic step as the write (compare-and-set, never check-then-write). A token equal to
// the last accepted one is admitted, because tokens are unique per grant: one holder may write
// several times.
//
// This package knows nothing of quorums or Redis; it imports nothing of the module.
package fencing
