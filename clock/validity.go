package clock

import "time"

// MinDrift is the fixed part of the drift allowance: 1 ms for Redis's expiry granularity and 1 ms
// of minimum clock drift, as in the reference Redlock implementations.
const MinDrift = 2 * time.Millisecond

// Drift returns the allowance for clock drift between the client and the nodes during a lease of
// the given ttl: ttl × factor + MinDrift.
func Drift(ttl time.Duration, factor float64) time.Duration {
	return time.Duration(float64(ttl)*factor) + MinDrift
}

// Validity returns how long a grant whose keys were set with ttl stays safe to rely on, when
// elapsed has passed on the client's monotonic clock since the attempt started:
// ttl − elapsed − Drift(ttl, factor). A result ≤ 0 means the grant must not be used.
func Validity(ttl, elapsed time.Duration, factor float64) time.Duration {
	return ttl - elapsed - Drift(ttl, factor)
}
