package bench

import (
	"slices"
	"time"
)

// Report is the outcome of Run, as data. It marshals to JSON as is; every time.Duration in it
// is in nanoseconds there.
type Report struct {
	Started   time.Time `json:"started"`
	Backend   string    `json:"backend"`
	InProcess bool      `json:"in_process"`
	// Servers lists the redis_version of every node, "" for servers that do not say.
	Servers []string      `json:"servers"`
	Go      string        `json:"go"`       // runtime.Version(), GOOS/GOARCH
	CPUs    int           `json:"cpus"`     // runtime.NumCPU()
	Peer    string        `json:"peer"`     // redsync and its module version
	Elapsed time.Duration `json:"elapsed"`  // wall time of the whole Run
	Rounds  int           `json:"rounds"`   // runs per library per scenario
	Measure time.Duration `json:"duration"` // measured time per run
	MaxOps  int64         `json:"max_ops,omitempty"`
	// Scenarios are in the order they ran.
	Scenarios []ScenarioReport `json:"scenarios"`
}

// ScenarioReport is the outcome of one scenario for both libraries.
type ScenarioReport struct {
	Scenario Scenario `json:"scenario"`
	// Skipped says why the scenario did not run; empty when it ran.
	Skipped string `json:"skipped,omitempty"`
	// PeerLabel names the peer as run: "redsync", or "redsync (FailFast)"; empty when ours ran
	// alone (a semaphore), and Peer and Ratios are then empty too.
	PeerLabel string  `json:"peer_label"`
	Ours      Summary `json:"ours"`
	Peer      Summary `json:"peer"`
	// Ratios are ours/peer for every metric both libraries have a value for.
	Ratios []Ratio `json:"ratios"`
	// Polling is ours waiting by polling alone (OursPolling), for a scenario with Polling;
	// nil otherwise.
	Polling *Summary `json:"polling,omitempty"`
	// PollingRatios are ours/Polling: waiting by notification over waiting by polling, in the
	// same run.
	PollingRatios []Ratio `json:"polling_ratios,omitempty"`
	// Targets are the scenario's targets, each with the ratio this run measured.
	Targets []TargetResult `json:"targets,omitempty"`
}

// Summary aggregates the rounds of one library in one scenario.
type Summary struct {
	// Median holds, for every metric, the median over rounds (the mean of the middle two for an
	// even number), except KeysLeft and Errors, which are the worst round.
	Median Result   `json:"median"`
	Rounds []Result `json:"rounds"`
}

// Result is what one run (one library, one round) measured. Per-op values are zero when the
// run made no op.
type Result struct {
	Library string `json:"library"`
	Round   int    `json:"round"`
	Ops     int64  `json:"ops"`
	Grants  int64  `json:"grants"` // contended: attempts that were granted; others: ops that succeeded
	Errors  int64  `json:"errors"` // ops that failed other than by a refusal
	// FirstError is the message of the first failed op, for diagnosis.
	FirstError     string        `json:"first_error,omitempty"`
	Elapsed        time.Duration `json:"elapsed"`
	OpsPerSec      float64       `json:"ops_per_sec"`
	GrantsPerSec   float64       `json:"grants_per_sec"`
	P50            time.Duration `json:"p50"`
	P99            time.Duration `json:"p99"`
	P999           time.Duration `json:"p999"`
	ClientCPUPerOp time.Duration `json:"client_cpu_per_op"`
	AllocsPerOp    float64       `json:"allocs_per_op"`
	// AttemptsPerGrant is, for ours, the attempts its clients made per grant between the
	// samples, measured ops and those that only kept the contention up alike: quorum attempts
	// (quorum.EventAcquire), one per name tried, so a semaphore's attempt counts once per slot
	// it tried. Zero when not counted (redsync) or nothing was granted.
	AttemptsPerGrant float64 `json:"attempts_per_grant,omitempty"`
	// ServerCPUKnown is false when a node did not report its CPU; ServerCPUPerOp is then zero.
	ServerCPUKnown bool          `json:"server_cpu_known"`
	ServerCPUPerOp time.Duration `json:"server_cpu_per_op"`
	KeysLeft       int           `json:"keys_left"`
	// PastExpiryP50 and PastExpiryP99 (Failover) are percentiles of the part of each failover
	// after the crashed leader's keys had expired on a majority of the nodes (by PTTL read just
	// after the crash): how long the candidates took to notice, apart from the TTL.
	PastExpiryP50 time.Duration `json:"past_expiry_p50,omitempty"`
	PastExpiryP99 time.Duration `json:"past_expiry_p99,omitempty"`
}

// summarize returns the Summary of rounds.
func summarize(rounds []Result) Summary {
	s := Summary{Rounds: rounds}
	if len(rounds) == 0 {
		return s
	}
	m := &s.Median
	m.Library = rounds[0].Library
	med := func(f func(Result) float64) float64 { return median(rounds, f) }
	medD := func(f func(Result) time.Duration) time.Duration {
		return time.Duration(med(func(r Result) float64 { return float64(f(r)) }))
	}
	m.Ops = int64(med(func(r Result) float64 { return float64(r.Ops) }))
	m.Grants = int64(med(func(r Result) float64 { return float64(r.Grants) }))
	m.Elapsed = medD(func(r Result) time.Duration { return r.Elapsed })
	m.OpsPerSec = med(func(r Result) float64 { return r.OpsPerSec })
	m.GrantsPerSec = med(func(r Result) float64 { return r.GrantsPerSec })
	m.P50 = medD(func(r Result) time.Duration { return r.P50 })
	m.P99 = medD(func(r Result) time.Duration { return r.P99 })
	m.P999 = medD(func(r Result) time.Duration { return r.P999 })
	m.PastExpiryP50 = medD(func(r Result) time.Duration { return r.PastExpiryP50 })
	m.PastExpiryP99 = medD(func(r Result) time.Duration { return r.PastExpiryP99 })
	m.ClientCPUPerOp = medD(func(r Result) time.Duration { return r.ClientCPUPerOp })
	m.AllocsPerOp = med(func(r Result) float64 { return r.AllocsPerOp })
	m.AttemptsPerGrant = med(func(r Result) float64 { return r.AttemptsPerGrant })
	m.ServerCPUKnown = true
	for _, r := range rounds {
		m.ServerCPUKnown = m.ServerCPUKnown && r.ServerCPUKnown
		m.KeysLeft = max(m.KeysLeft, r.KeysLeft)
		m.Errors = max(m.Errors, r.Errors)
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
	}
	if m.ServerCPUKnown {
		m.ServerCPUPerOp = medD(func(r Result) time.Duration { return r.ServerCPUPerOp })
	}
	return s
}

// median returns the median of f over rs: the middle value, or the mean of the middle two.
func median(rs []Result, f func(Result) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	mid := len(v) / 2
	if len(v)%2 == 1 {
		return v[mid]
	}
	return (v[mid-1] + v[mid]) / 2
}
