package faultnet_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no connection's goroutine outlives the tests: every test closes its
// connections and resumes its stalls, so their goroutines must all have ended.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
