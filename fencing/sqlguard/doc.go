// Package sqlguard checks fencing tokens where the data lives, in a SQL database reached
// through database/sql: the fence and the data are written in one transaction, so the check
// and the write commit together or not at all.
//
// # Contract
//
// A fence table (Options.Table, created by Guard.EnsureSchema) holds one row per resource: the
// highest token accepted. Guard.Write opens a transaction, advances the fence with a single
// conditional statement,
//
//	INSERT INTO quorumlock_fences (resource, fence) VALUES ($1, $2)
//	ON CONFLICT (resource) DO UPDATE SET fence = excluded.fence
//	WHERE quorumlock_fences.fence <= excluded.fence
//
// and requires one row affected; then it runs the caller's write in the same transaction and
// commits. A token older than the fence is refused with a *fencing.StaleTokenError (wrapping
// fencing.ErrStaleToken) that carries the fence stored now; the caller's write is then not run
// and nothing is written. A token equal to the fence is accepted, because tokens are unique per
// grant: it is the same holder writing again. An error from the caller's write rolls back
// everything, the fence included.
//
// The statement locks the fence row until the transaction ends, so concurrent Writes of one
// resource are serialized: under PostgreSQL's default READ COMMITTED, a Write with a newer
// token waits for the one in progress and then advances; one with an older token waits and is
// then refused. SQLite serializes all writers on its database lock. Inside write, reads of data
// that only guarded writes change therefore see the latest committed state, which makes a
// read-modify-write inside one Write safe. A read-modify-write spread over two Writes is safe
// too if both use the same token: the first Write (the read, or a nil write) marks the fence
// before the write, so no older holder can write in between, and a newer holder's write makes
// the second Write fail as stale.
//
// # What the caller must still do
//
//   - Pass the token of the grant it holds, and stop (not retry with the same token) when a
//     write is refused as stale: the lock has passed to someone else.
//   - Keep the fence table in the same database as the data, and do all of the write through
//     the *sql.Tx that Write passes, never through the *sql.DB: only that commits atomically
//     with the fence.
//   - Send every write of the protected data through the Guard, under one resource name; a
//     write that bypasses it is not fenced. Never delete a fence row: it would admit old tokens
//     again.
//   - Read inside the write function (or after marking with an earlier Write) for a
//     read-modify-write; a read done before, outside the guard, may be stale.
//   - With SQLite, set a busy timeout (modernc.org/sqlite: _pragma=busy_timeout(5000)) so that
//     concurrent writers wait instead of failing with SQLITE_BUSY. Under SERIALIZABLE
//     (Options.TxOptions), retry serialization failures.
package sqlguard
