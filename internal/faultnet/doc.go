// Package faultnet injects the faults of Redis servers below the client's connections: it
// hands out Dialers whose connections pass every byte through the faults of the server they
// reach, so a test exercises the client's real connection handling (pipelining, reply
// matching, reconnects) instead of a wrapper above it.
//
// A Node holds the faults of one server. They act on every connection to it, those open and
// those dialled later, from every client; a Cut acts on the connections of one client only.
// A Network maps server addresses to Nodes, so one Dialer per client serves every node.
//
// The contract, which the lock's safety arguments rely on:
//
//   - Order. The bytes of one connection reach the server in the order they were written,
//     across stalls and delays. Nothing is promised between connections.
//   - Accepted bytes are delivered. Write never blocks on a fault: it accepts the bytes at once
//     (as a kernel socket buffer does, without bound) or refuses them with an error. Bytes it
//     accepted reach the server, whatever happens to the connection afterwards: a stall holds
//     them until Resume, a delay until it has passed, and Close, a reset by a fault or a later
//     fault does not discard them. The connection to the server is closed after them.
//   - Stall is a SIGSTOPped server: dials succeed, writes are accepted and held, nothing new
//     comes back. Resume forwards what was held, in order, and returns once it is written.
//   - Fail (or a Cut of requests) is a server that refuses: a write resets the connection
//     before its bytes reach the server, and dials fail.
//   - Lose replies (or a Cut of replies) is a network that drops the server's answers: requests
//     reach the server and run, and the connection is reset as soon as reply bytes arrive.
//     The test is made when they arrive, not when the request was written.
//   - Delay holds each write for d before it is forwarded (0 for none); d is taken when the
//     write is accepted, and a write never overtakes an earlier one.
//   - A fault shows as a broken connection, never as bytes missing from a live one: a reset
//     connection's Read and Write return an error wrapping ErrInjected (in a *net.OpError).
//     Missing bytes would desynchronise a pipelined reply stream, which no real network does.
//   - A connection is a net.Conn: deadlines behave as on a TCP connection (a timed-out Read
//     returns an error wrapping os.ErrDeadlineExceeded, and the connection stays usable),
//     and Close returns at once.
//
// What the user must still do: Resume every stalled Node before the test ends, and Close every
// connection. A connection's two goroutines end once its accepted bytes are written and the
// server has closed its side (or a few seconds after Close, if it does not).
package faultnet
