package main

import (
	"os"
	"strings"
	"testing"
)

// cliEnv makes the test binary run main instead of the tests, so that the tests can run the
// quorumlock command as a separate process without building it.
const cliEnv = "QUORUMLOCK_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		main() // exits
	}
	silenceGoRedis() // as main does, for the commands the tests run in this process
	os.Exit(m.Run())
}

// TestGoRedisLogsNothing runs bench on nodes that refuse every connection: redsync's go-redis
// clients fail to dial, and go-redis would log each failure on stderr beside the command's own
// error unless main silenced its logger.
func TestGoRedisLogsNothing(t *testing.T) {
	code, stderr := cli(t, t.TempDir(), "bench", "--nodes", strings.Join(closedURLs(t, 3), ","),
		"--duration", "100ms", "--rounds", "1", "--scenarios", "uncontended")
	if code != 1 || !strings.Contains(stderr, "connection refused") {
		t.Fatalf("exit %d; want 1 and the refused connection named; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "connection pool") || strings.Contains(stderr, "pool.go") {
		t.Errorf("go-redis logged on stderr:\n%s", stderr)
	}
}
