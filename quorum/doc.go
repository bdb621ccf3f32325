// Package quorum is a distributed lock over N independent Redis servers (the Redlock algorithm)
// whose every grant carries a fencing token.
//
// A Locker (from Dial) hands out Leases on named locks. A grant counts only if a majority of the
// nodes granted it, and only for the validity left after the round trip and an allowance for
// clock drift. Locker.Do runs a function under a lease that is extended in the background and
// released when the function returns or panics.
//
// # What is guaranteed
//
//   - Fencing tokens: every grant of a name has a token strictly greater than that of every
//     grant of the name that completed before it began, across all clients, and no two grants
//     share a token. This needs no clock: it rests on majorities intersecting and on each node's
//     counters, which a node that lost them (or may have: any restart) recovers before it grants
//     again.
//   - Mutual exclusion, within the timing model: node clocks that neither jump nor drift beyond
//     Options.DriftFactor. A client that pauses (GC, swap, SIGSTOP) can still act after its lease
//     ended; only the store the lock protects can refuse it, by the token. Fence every write
//     (package fencing).
//   - Bounded state: a name that is not in use leaves no key on the nodes once two TTLs have
//     passed; a node keeps one marker per key prefix.
//
// # Deployment, restarts and recovery
//
// A node that has never served, or whose server restarted (whatever it reloaded: an AOF, an RDB
// snapshot, a replica's copy, a backup), is amnesic from its first call: it refuses every grant
// until it is healed. Every call except a release that finds its own key checks the node's marker
// against the identity (run_id) of the server process that runs it: deleting our own key is safe
// on any node, and the node's next call of another kind, before any grant, checks.
//
//   - While a majority of the nodes is healthy, the Locker heals an amnesic node by itself once
//     its quarantine (Options.Quarantine, at least the longest TTL of any client) has passed,
//     with a floor read from that majority. A rolling restart needs nothing more than one node
//     at a time.
//   - A new deployment, or more amnesic nodes than a majority can spare, needs an operator:
//     every attempt fails at once with ErrNeedsHeal until Locker.Heal (the command quorumlock
//     heal) brings the nodes into service. Nothing on a node tells a new one from one that lost
//     everything, so nothing does this by itself.
//
// # What the user must still do
//
// Use the same node list, key prefix and databases on every client (other settings make
// separate locks); connect to each Redis server directly (a proxy could hide a restart); keep
// maxmemory-policy at noeviction; set Options.Quarantine on every client to at least the
// longest TTL any client uses; fence every write with the lease's token. Locker.Inspect (the
// command quorumlock doctor) reports what it can see of these.
//
// docs/PROTOCOL.md gives the protocol and its safety argument; docs/OPERATIONS.md the
// operator's view.
package quorum
