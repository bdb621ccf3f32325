// Package pgproc starts real PostgreSQL servers for tests, as package redisproc does for
// redis-server.
//
// Start runs initdb into a fresh t.TempDir() (trust authentication, superuser "postgres",
// UTF8, C locale, no fsync) and then the postgres server itself as a child process, bound to
// 127.0.0.1 on a free port, with its unix socket in the same temporary directory and its log in
// postgres.log there, whose tail is included in failure messages. A port that another process
// takes between our probe and the server's bind makes postgres exit; Start then tries another
// port. The server is ready when its postmaster.pid names our child and says "ready".
//
// PostgreSQL refuses to run as root. When the tests run as root, initdb and postgres run as the
// unprivileged system user "postgres" (which Debian's postgresql package creates), through
// SysProcAttr.Credential: the temporary directory is handed to that user, and the per-test
// parent directory that the testing package created is made traversable (o+x) so that the user
// can reach it.
//
// Every server is stopped by a t.Cleanup registered in Start, even when the test fails: SIGCONT,
// then SIGQUIT (PostgreSQL's immediate shutdown, in which the postmaster ends its own children
// and waits for them), then SIGKILL if it has not exited within a few seconds. Only processes
// started by this package are ever signalled.
//
// The binaries are looked up in the directory named by QUORUMLOCK_POSTGRES_BIN, else next to
// postgres on PATH, else in Debian's /usr/lib/postgresql/VERSION/bin (the highest version).
// When they are not found, or the tests run as root and there is no "postgres" user, tests are
// skipped, unless the environment variable QUORUMLOCK_REQUIRE_POSTGRES=1 is set, in which case
// they fail.
package pgproc
