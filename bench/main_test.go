package bench_test

import (
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

// TestMain silences go-redis's global logger, as cmd/quorumlock's main does: scenarios with a
// node down make redsync's clients log every failed dial, which would bury the tests' output.
// Package bench itself leaves the logger to its user.
func TestMain(m *testing.M) {
	redis.SetLogger(&logging.VoidLogger{})
	os.Exit(m.Run())
}
