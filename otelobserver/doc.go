// Package otelobserver records what a quorum.Locker does as OpenTelemetry spans: it is a
// quorum.Observer. Package quorum itself depends on no tracing library.
//
//	obs := otelobserver.New(tracerProvider, otelobserver.Options{})
//	locker, err := quorum.Dial(ctx, urls, quorum.Options{Observer: obs})
//
// # What is recorded
//
// A quorum.Observer is told about an operation only once it has ended, with how long it took.
// Each span is therefore created after the fact: it starts Duration before the moment the event
// was observed and ends at that moment, both read from Options.Clock.
//
//	quorumlock.acquire       one TryAcquire (Acquire and Do make one per attempt), with the
//	                         nodes' answers to it as span events "node.acquire" and the
//	                         proposals refused as stale as span events "token.refused"
//	quorumlock.extend        one Extend, or one lease's share of an auto-extension batch
//	quorumlock.lease_lost    a lease that can no longer be guaranteed (no duration)
//	quorumlock.heal          a heal of a node that lost its data
//	quorumlock.node.<op>     one call to one node that cannot be put on a span above: every
//	                         failed call (acquire, extend, release, heal, state...) and every
//	                         successful auto-extension batch (kind client)
//
// Attributes: quorumlock.lock.name, quorumlock.token (the grant's or lease's fencing token, or
// the refused proposal), quorumlock.node (host:port/db, never a password), quorumlock.op,
// quorumlock.status (a node's answer to an acquire: granted, held, stale, amnesic...),
// quorumlock.outcome (acquire: granted, not_acquired, unavailable, needs_heal, cancelled,
// error; extend: extended, lost, unavailable, released, cancelled, error),
// quorumlock.node.elapsed_ms, quorumlock.batch (leases in an auto-extension batch),
// quorumlock.heal.floor, quorumlock.node_events.dropped, and quorumlock.error (on a
// node.acquire span event whose call failed, should such an event ever name its lock).
//
// Every failure is recorded with RecordError (an "exception" span event). The span's status is
// Error for the failures an operator should look at: nodes unavailable or needing a heal, lost
// leases, failed node calls and heals. An attempt refused because someone else holds the lock
// (not_acquired), one cancelled by its caller, and an extension that raced its lease's Release
// leave the status unset: they are how a lock works, not faults, and Acquire's retries would
// otherwise paint every contended lock red. Successes leave it unset too, as the OpenTelemetry
// guidance for instrumentation libraries asks.
//
// # Limits, from what the events carry
//
// Every span is a root span of a trace of its own: events carry no context.Context, so the
// caller's span cannot be their parent. Release emits no event when it succeeds, so there is
// no release span and no span for a lease's whole lifetime; a release that failed on a node
// shows as a quorumlock.node.release span. Extend and auto-extension cannot be told apart.
//
// A node's answer to an acquire is reported before the TryAcquire that it belongs to ends, and
// is the only node event that names its lock. The Observer keeps such answers, by lock name,
// in a fixed table of Options.Slots slots of at most 32 answers each, and puts them on the
// acquire span of that name when it ends: those that arrived since the attempt started. So:
//   - two attempts at the same name that overlap in time, in one process, share a slot: the
//     first to end takes every answer since it started, the second only those after that;
//   - the answer of the slowest node, which arrives after its attempt returned at a majority,
//     is attached to the next attempt at that name if it starts before the answer arrives
//     (Acquire's retries can), and otherwise dropped;
//   - names whose slots collide evict each other's answers (the last name reported wins),
//     so with more attempts in flight at once than slots, some acquire spans lack answers;
//   - past 32 answers in one attempt, the rest are counted in quorumlock.node_events.dropped.
//
// A span never gets an answer of another name. Memory stays bounded by Slots × 32 answers
// whatever the number of names; no map grows with them.
//
// Failed node calls, and auto-extension batches (which serve many names at once), carry no
// lock name, so they are spans of their own rather than events on a lock's span.
//
// # Cost
//
// Observe never waits for I/O: it holds one slot's mutex for a few field copies, and otherwise
// only calls the TracerProvider. Configure that provider with a batching span processor
// (sdktrace.WithBatcher), since Observe runs on the Locker's goroutines: a synchronous exporter
// (sdktrace.WithSyncer) would make every lock operation wait for the export.
package otelobserver
