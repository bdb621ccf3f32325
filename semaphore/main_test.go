package semaphore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every goroutine a
// Semaphore, a Permit or Do starts must end by Release, Do's return or the Locker's Close.
func TestMain(m *testing.M) {
	redis.SetLogger(&logging.VoidLogger{}) // dial failures that tests provoke on purpose
	goleak.VerifyTestMain(m)
}
