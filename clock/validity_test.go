package clock_test

import (
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/clock"
)

func TestDriftAndValidity(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		ttl, elapsed time.Duration
		factor       float64
		drift, valid time.Duration
	}{
		{ttl: 10 * time.Second, elapsed: 0, factor: 0.01, drift: 102 * ms, valid: 9898 * ms},
		{ttl: 10 * time.Second, elapsed: 500 * ms, factor: 0.01, drift: 102 * ms, valid: 9398 * ms},
		{ttl: 100 * ms, elapsed: 97 * ms, factor: 0.01, drift: 3 * ms, valid: 0},
		{ttl: 100 * ms, elapsed: 98 * ms, factor: 0.01, drift: 3 * ms, valid: -ms},
		{ttl: time.Second, elapsed: 0, factor: 0, drift: 2 * ms, valid: 998 * ms},
	}
	for _, tc := range tests {
		if got := clock.Drift(tc.ttl, tc.factor); got != tc.drift {
			t.Errorf("Drift(%v, %v) = %v, want %v", tc.ttl, tc.factor, got, tc.drift)
		}
		if got := clock.Validity(tc.ttl, tc.elapsed, tc.factor); got != tc.valid {
			t.Errorf("Validity(%v, %v, %v) = %v, want %v", tc.ttl, tc.elapsed, tc.factor, got, tc.valid)
		}
	}
}
