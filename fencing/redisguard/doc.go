// Package redisguard checks fencing tokens where the data lives, in Redis: every write is one
// Lua script that compares the token with the fence stored beside the value and writes only if
// the token is not older, so the check and the write are one atomic step.
//
// # Contract
//
// For a guarded key the guard stores the value, the fence (the highest token accepted) and a
// version (the number of writes) under one {hash tag}; see Options.KeyPrefix and Guard.Keys.
// Write, WriteIfVersion and ReadForUpdate refuse a token older than the fence with a
// *fencing.StaleTokenError (wrapping fencing.ErrStaleToken) and then change nothing. A token
// equal to the fence is accepted, because tokens are unique per grant: it is the same holder
// writing again. Tokens must be in [1, fencing.MaxToken]; they travel as decimal strings and
// are compared as Lua numbers, which are exact below 2^53.
//
// A fenced write alone does not make a read-modify-write safe: a stale holder's write can land
// between the new holder's read and its write, and the new holder then overwrites it from a
// stale read. ReadForUpdate closes that window by raising the fence before the read ("mark
// before write"), and WriteIfVersion writes only if the version read is still current, so a
// write that did land in between is detected rather than lost.
//
// # What the caller must still do
//
//   - Pass the token of the grant it holds, and stop (not retry with the same token) when a
//     write is refused as stale: the lock has passed to someone else.
//   - Send every write of a guarded key through a Guard with the same KeyPrefix; a plain SET
//     bypasses the fence.
//   - Read with ReadForUpdate and write with WriteIfVersion for a read-modify-write; on a
//     *VersionError, read again.
//   - Run Redis with persistence that fits the data (appendonly, appendfsync): a fence lost in
//     a restart without it admits old tokens again.
//
// Scripts are idempotent for a resent call (go-redis retries commands): a Write or
// WriteIfVersion that already took effect is not applied twice, and reports the same version.
// A Write is recognised by its content (the fence already equals its token and the value is
// already its value), which is harmless for a blind write. A WriteIfVersion is recognised only
// by its call: each call carries a random 128-bit write id, which the key records, and only a
// resend with that id counts as applied. Two calls with the same token, version and value (two
// workers of one lease that read the same version) are two updates: the second gets a
// *VersionError and must read again, so neither update is lost.
package redisguard
