// Package election elects a leader among candidates on the fenced quorum lock of package
// quorum: a term of leadership is a grant of the election's name, taken As the candidate's ID.
//
//	e := election.New(locker, "scheduler", election.Options{ID: "host-a"})
//	err := e.Run(ctx, func(ctx context.Context, term *election.Term) error {
//		return schedule(ctx, term.Token()) // every write fenced with the term's token
//	})
//
// # What is guaranteed
//
//   - Terms are fenced: every term's token (Term.Token) is strictly greater than the token of
//     every term that was won before it was, across all candidates. This needs no clock.
//   - At most one leader, within the lock's timing model (node clocks that neither jump nor
//     drift beyond the Locker's DriftFactor): no two terms of a name hold at the same time.
//     A leader that pauses (GC, swap, SIGSTOP) can still act after its term ended; only the
//     store it writes to can refuse it, by the token. Fence every write.
//   - Term.Done is closed before the term's validity can run out: StopMargin before it, unless
//     the term was extended meanwhile, and at once when the term is resigned or lost. A leader
//     that stops acting at Done stops while its term is still guaranteed.
//   - Run never releases a term while its function runs: it cancels the function's context at
//     Done (or when Run's own context ends), waits for it up to StopTimeout, and only then
//     releases. A function that does not return in time makes Run give the term up without
//     releasing it: its keys expire within a TTL, and Run returns ErrStopTimeout once the
//     function returns. Run's OnStopped is called only for terms that OnStarted reported.
//   - Observe reports every change it sees, in order: each leader once, tokens never going back
//     (a read from lagging nodes that shows an older term is ignored), and a zero Leader for a
//     vacancy — also between two leaders seen one right after the other, since their terms
//     cannot overlap.
//   - A Campaign that fails or is cancelled leaves no key on the nodes (Locker.Acquire cleans up
//     its attempts).
//
// # What the user must still do
//
// Give every candidate its own ID and a Locker over the same nodes, key prefix and TTL; stop
// acting as leader at Term.Done; pass the term's token with every write and make the store
// refuse older ones; resign every term won with Campaign. docs/ELECTION.md explains the design.
package election
