// Package semaphore is a counting semaphore on the fenced quorum lock: at most N holders of a
// named semaphore at once, each with a fencing token.
//
// A Semaphore of N permits is N mutexes, its slots: slot i is the quorum lock named
// SlotName(name, i) ("NAME/permit/i"), granted, extended and released exactly as any lock of
// package quorum. A Permit is a lease on one slot. TryAcquire tries the slots one at a time,
// from a random one, until one is granted; Acquire waits for a release of any slot; Do runs a
// function under a permit that is extended in the background and released when the function
// returns or panics.
//
// # Why slots, and not a count
//
// Counting holders on each node and granting when a majority of the nodes count fewer than N
// is not safe on more than one node. With three nodes and two permits, holders granted by the
// node pairs {1,2}, {2,3} and {1,3} each won a majority, and no node ever counted more than
// two of them: three holders of two permits. Slots do not have this flaw: two holders of one
// slot would need two majorities of one quorum lock, which intersect. docs/SEMAPHORE.md gives
// the argument in full.
//
// # What is guaranteed
//
//   - At most N permits are valid at any time, within the timing model of package quorum
//     (node clocks that neither jump nor drift beyond Options.DriftFactor): every valid permit
//     is the valid lease of a distinct slot, and a slot has at most one.
//   - Fencing tokens per slot: every grant of a slot has a token strictly greater than that of
//     every grant of the same slot that completed before it began. Tokens of different slots
//     are unrelated: fence per slot (Permit.Name), never per semaphore.
//   - Waiting: Acquire wakes at the release of any slot (unless Options.DisableNotify) and polls
//     between RetryDelayMin and RetryDelayMax as a fallback. Goroutines that share one
//     Semaphore take turns: one of them contends with other clients at a time.
//
// Not guaranteed: fairness between clients (a newcomer can take a permit before a client that
// waited longer), and a bound on N if clients disagree on it.
//
// # What the user must still do
//
// Give every client of a semaphore the same name and number of permits (and the same nodes and
// key prefix, as for any lock): clients with different N count different slots, and together
// they can hold as many permits as the largest N any of them uses. Do not take the slot names
// as locks of their own. Fence every write with the permit's token, in a store keyed by the
// permit's slot (Permit.Name): a holder that paused past its lease can still act, and only the
// store can refuse it.
package semaphore
