package bench

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultDuration  = time.Second
	DefaultWarmUp    = 100 * time.Millisecond
	DefaultSettle    = 200 * time.Millisecond
	DefaultRounds    = 2
	DefaultKeyPrefix = "quorumlock-bench:"
	// DefaultClusterSize is the cluster size N of the default scenarios, when enough nodes are
	// given.
	DefaultClusterSize = 5
)

// Config configures Run. The zero value of every field but Nodes means its documented default.
type Config struct {
	// Nodes are the URLs of independent Redis servers (redis://host:port[/db]). A scenario on N
	// nodes uses the first N. Required.
	Nodes []string
	// ClusterSize is N for the default scenarios. Default: DefaultClusterSize (5), or
	// len(Nodes) if that is smaller.
	ClusterSize int
	// Backend describes the nodes for the report, e.g. "5 redis-server spawned on 127.0.0.1".
	Backend string
	// InProcess says the nodes are in-process miniredis servers: the report then says that
	// speeds are not representative of real Redis, and client CPU and allocations include the
	// nodes' own work.
	InProcess bool
	// Scenarios are the workloads to run, in order. Default: DefaultScenarios(ClusterSize).
	// A scenario that needs more nodes than given is reported as skipped.
	Scenarios []Scenario
	// Duration is the measured time of one run (one library, one round, one scenario).
	// Default DefaultDuration (1 s).
	Duration time.Duration
	// MaxOps ends a run early after this many ops. Zero means no limit.
	MaxOps int64
	// WarmUp is the unmeasured time each run works before it is measured (connections are
	// made, scripts loaded). Default DefaultWarmUp (100 ms); negative means none.
	WarmUp time.Duration
	// Settle is how long a run waits after its clients were closed before counting the keys
	// left behind. Default DefaultSettle (200 ms); negative means none.
	Settle time.Duration
	// Rounds is how many times each library runs each scenario, alternating. Default
	// DefaultRounds (2).
	Rounds int
	// KeyPrefix starts every key written; ours uses KeyPrefix+"q:" and redsync KeyPrefix+"rs:".
	// Keys of each run are deleted after they were counted. Default DefaultKeyPrefix.
	KeyPrefix string
	// Progress, when not nil, is called before every run and once at the end, from the
	// goroutine that called Run.
	Progress func(Progress)
}

// Progress tells how far Run is.
type Progress struct {
	Done, Total int    // runs finished, runs in all
	Scenario    string // the scenario about to run; empty at the end
	Library     string // the library about to run
	Round       int    // its round, from 1
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.ClusterSize == 0 {
		c.ClusterSize = min(DefaultClusterSize, len(c.Nodes))
	}
	if c.Scenarios == nil {
		c.Scenarios = DefaultScenarios(c.ClusterSize)
	}
	c.Scenarios = slices.Clone(c.Scenarios) // Nodes is filled in below
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.WarmUp == 0 {
		c.WarmUp = DefaultWarmUp
	}
	if c.Settle == 0 {
		c.Settle = DefaultSettle
	}
	if c.Rounds == 0 {
		c.Rounds = DefaultRounds
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	for i := range c.Scenarios {
		if c.Scenarios[i].Nodes == 0 {
			c.Scenarios[i].Nodes = c.ClusterSize
		}
	}
	return c
}

// validate reports every field that is out of range, in one error.
func (c Config) validate() error {
	var errs []error
	if len(c.Nodes) == 0 {
		errs = append(errs, errors.New("bench: Config.Nodes is empty"))
	}
	if c.ClusterSize < 1 || c.ClusterSize > len(c.Nodes) && len(c.Nodes) > 0 {
		errs = append(errs, fmt.Errorf("bench: ClusterSize is %d, want 1 to %d (the number of nodes)",
			c.ClusterSize, len(c.Nodes)))
	}
	if c.Duration < 0 {
		errs = append(errs, fmt.Errorf("bench: Duration is %v, negative", c.Duration))
	}
	if c.MaxOps < 0 {
		errs = append(errs, fmt.Errorf("bench: MaxOps is %d, negative", c.MaxOps))
	}
	if c.Rounds < 1 {
		errs = append(errs, fmt.Errorf("bench: Rounds is %d, want at least 1", c.Rounds))
	}
	if len(c.Scenarios) == 0 {
		errs = append(errs, errors.New("bench: no scenarios"))
	}
	seen := map[string]bool{}
	for _, s := range c.Scenarios {
		if err := s.validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("bench: scenario %s appears twice", s.Name))
		}
		seen[s.Name] = true
	}
	return errors.Join(errs...)
}
