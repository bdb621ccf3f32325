// Package redispipe is a pipelined connection to one Redis server, for the lock's hot path.
//
// Every command is written to one long-lived connection in the order it was issued, and replies
// are matched in order by a reader goroutine, so commands from concurrent callers share writes
// and reads (pipelining). A caller that stops waiting (its context ended) does not close the
// connection: its reply is read and discarded when it comes. That is what makes the lock's
// clean-up sound on a stalled server: a release issued after an acquire that is still queued on a
// SIGSTOPped server is written behind it on the same connection, so the server runs it after
// the acquire when it resumes. go-redis closes a connection whose call timed out, and a release
// on a new connection could run first or, as its handshake blocks, never be sent at all.
package redispipe
