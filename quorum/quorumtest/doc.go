// Package quorumtest provides in-process Redis clusters for tests of package quorum and of code
// built on it: miniredis servers on loopback TCP that tell a run_id (new at every restart, as
// redis-server's), each behind a fault layer below every client's connection. A test can stall
// a server (a black hole whose held requests run when it resumes, like a SIGSTOPped server),
// slow it down, make it fail, make it lose replies after the request ran, make one of the lock's
// scripts fail, and restart it with or without its data. Lockers are dialled as quorum.Dial
// dials them in production, so a test exercises the code production runs.
package quorumtest
