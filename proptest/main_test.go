package proptest_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// quietLogger drops go-redis's log lines (dial failures that faults provoke on purpose).
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// TestMain fails the package's tests if any goroutine outlives them: every goroutine a run
// starts (clients, faults, clusters, Lockers) must end with it.
func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{})
	goleak.VerifyTestMain(m)
}
