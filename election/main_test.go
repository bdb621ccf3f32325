package election_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every goroutine an
// Election starts must end with its term, its Observe context or its Run.
func TestMain(m *testing.M) {
	redis.SetLogger(&logging.VoidLogger{}) // dial failures that tests provoke on purpose
	goleak.VerifyTestMain(m)
}
