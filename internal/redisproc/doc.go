// Package redisproc starts and controls real redis-server processes for
// tests.
//
// Each server is bound to 127.0.0.1 on a free port, runs in its own
// t.TempDir() working directory and in its own process group, and logs to
// a file (redis.log) in that directory whose tail is included in failure
// messages. Servers can be paused (Stop, SIGSTOP), resumed (Cont,
// SIGCONT), killed without a chance to flush (Kill, SIGKILL) and started
// again on the same port and directory (Restart), which lets tests
// exercise stalls, crashes and AOF recovery.
//
// Every server is stopped by a t.Cleanup registered in Start, even when the
// test fails or leaves the server SIGSTOPped. Only processes started by this
// package are ever signalled.
//
// When redis-server is not on PATH, tests are skipped, unless the
// environment variable QUORUMLOCK_REQUIRE_REDIS=1 is set, in which case
// they fail.
package redisproc
