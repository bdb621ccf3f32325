package quorum_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every goroutine a Locker
// starts must end by Close or Release.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
