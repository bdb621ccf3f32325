package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// Kind says what one operation of a scenario is.
type Kind string

// The kinds of scenario.
const (
	// Pairs: every op takes a lock (retrying as each library's Lock does) and releases it.
	Pairs Kind = "pairs"
	// Contended: every worker makes single attempts (TryLock) at one shared name; an op is one
	// attempt, followed by the release when it was granted.
	Contended Kind = "contended"
	// Waiting: every worker takes one shared name, waiting as each library's Lock does until it
	// is granted, holds it for Hold and releases it; an op is one Lock+Unlock, and its latency
	// is the wait: from the call to Lock until the grant. With Permits, ours takes a permit of
	// a semaphore instead of the lock.
	Waiting Kind = "wait"
	// Failover: every worker is a candidate, a client of its own, campaigning for the leadership
	// of one name (ours: election.Campaign; redsync: Lock on one mutex, called again until it
	// grants, and extended by its holder every third of its expiry). An op is one crash of the
	// leader after it led for Hold: its client is closed without releasing, as when its process
	// dies, so its keys are left to expire. The op's latency is the time from the crash until
	// another candidate's campaign returns. A new candidate replaces the crashed one.
	Failover Kind = "failover"
	// Handover: as Failover, but the leader resigns (ours: Term.Resign; redsync: Unlock) instead
	// of crashing, and campaigns again once another candidate leads.
	Handover Kind = "handover"
)

// elects reports whether the workers of scenarios of kind k are candidates in an election.
func (k Kind) elects() bool { return k == Failover || k == Handover }

// Naming says which lock names the workers of a Pairs scenario use.
type Naming string

// The namings.
const (
	// NewNames: every op uses a name never used before.
	NewNames Naming = "new"
	// OwnName: every worker reuses one name of its own.
	OwnName Naming = "own"
)

// Scenario is one workload, as data.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Kind        Kind   `json:"kind"`
	Naming      Naming `json:"naming,omitempty"` // Pairs only
	Workers     int    `json:"workers"`          // concurrent goroutines
	// Nodes is the number of nodes N the lock runs on: the first N of Config.Nodes, or, with
	// DownNode, the first N−1 plus one that is down. Zero means Config.ClusterSize.
	Nodes int `json:"nodes"`
	// SlowDelay, when positive, puts node 0 behind an in-process proxy that delays every
	// chunk of bytes by this much in each direction.
	SlowDelay time.Duration `json:"slow_delay,omitempty"`
	// DownNode replaces the last node by a URL to a closed loopback port.
	DownNode bool `json:"down_node,omitempty"`
	// PeerFailFast runs redsync with WithFailFast(true) instead of its defaults.
	PeerFailFast bool `json:"peer_fail_fast,omitempty"`
	// Clients is how many separate clients the workers use, as that many processes would: one
	// quorum.Locker, or one redsync with its own go-redis clients, each; worker i uses client
	// i mod Clients. Zero means 1: every worker shares one client.
	Clients int `json:"clients,omitempty"`
	// Hold is how long a Waiting op holds the lock before it releases it, or how long a leader
	// leads before it crashes (Failover) or resigns (Handover). Zero: it releases at once.
	Hold time.Duration `json:"hold,omitempty"`
	// Polling also runs ours with quorum.Options.DisableNotify (waiting by polling alone), as a
	// third library alternating with the other two, reported beside ours.
	Polling bool `json:"polling,omitempty"`
	// TTL, when positive, is the lock's TTL in both libraries (ours: quorum.Options.TTL;
	// redsync: WithExpiry). Zero: each library's default (10 s; 8 s).
	TTL time.Duration `json:"ttl,omitempty"`
	// Ops, when positive, is how many measured ops each run makes, instead of as many as fit in
	// Config.Duration (Config.MaxOps still caps it): for ops that last about a TTL, as failovers.
	Ops int64 `json:"ops,omitempty"`
	// Permits, when positive, makes every op of a Waiting scenario take one of Permits permits
	// of a semaphore of ours (package semaphore) named as the lock, instead of the lock.
	// redsync has no semaphore: such a scenario runs ours alone.
	Permits int `json:"permits,omitempty"`
	// Targets are goals for ratios of the scenario, which the report shows beside the ratios
	// measured, met or not.
	Targets []Target `json:"targets,omitempty"`
}

// runTimeout bounds the measured window of a run of s for a Config.Duration of d: ops still in
// flight after it are cancelled, and count as errors. A scenario with Ops gets, per op, its
// Hold, two TTLs and a second: a failover lasts about a TTL.
func (s Scenario) runTimeout(d time.Duration) time.Duration {
	if s.Ops > 0 {
		ttl := s.TTL
		if ttl == 0 {
			ttl = max(quorum.DefaultTTL, redsyncDefaultExpiry)
		}
		d = time.Duration(s.Ops) * (s.Hold + 2*ttl + time.Second)
	}
	return d + opGrace
}

// hasPeer reports whether redsync runs the scenario beside ours.
func (s Scenario) hasPeer() bool { return s.Permits == 0 }

// Select returns the scenarios of all named in names (a comma-separated list), in the order of
// all; an empty list selects all. It fails naming every unknown scenario.
func Select(all []Scenario, names string) ([]Scenario, error) {
	if strings.TrimSpace(names) == "" {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []Scenario
	for _, s := range all {
		if want[s.Name] {
			out = append(out, s)
			delete(want, s.Name)
		}
	}
	if len(want) > 0 {
		var unknown []string
		for n := range want {
			unknown = append(unknown, strconv.Quote(n))
		}
		slices.Sort(unknown)
		return nil, fmt.Errorf("bench: unknown scenario %s; known: %s",
			strings.Join(unknown, ", "), strings.Join(Names(all), ", "))
	}
	return out, nil
}

// clients returns how many separate clients the workers of s use.
func (s Scenario) clients() int { return max(s.Clients, 1) }

// Names returns the names of scenarios, in order.
func Names(scenarios []Scenario) []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.Name
	}
	return names
}

// NodesNeeded returns how many live nodes the scenarios need at most.
func NodesNeeded(scenarios []Scenario) int {
	need := 0
	for _, s := range scenarios {
		n := s.Nodes
		if s.DownNode {
			n--
		}
		need = max(need, n)
	}
	return need
}

// validate reports what is wrong with s, once its Nodes is filled in.
func (s Scenario) validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("bench: scenario without a name")
	case s.Kind != Pairs && s.Kind != Contended && s.Kind != Waiting && !s.Kind.elects():
		return fmt.Errorf("bench: scenario %s: unknown kind %q", s.Name, s.Kind)
	case s.Kind == Pairs && s.Naming != NewNames && s.Naming != OwnName:
		return fmt.Errorf("bench: scenario %s: unknown naming %q", s.Name, s.Naming)
	case s.Workers < 1:
		return fmt.Errorf("bench: scenario %s: Workers is %d, want at least 1", s.Name, s.Workers)
	case s.Nodes < 1 || s.DownNode && s.Nodes < 2:
		return fmt.Errorf("bench: scenario %s: Nodes is %d, too few", s.Name, s.Nodes)
	case s.SlowDelay < 0:
		return fmt.Errorf("bench: scenario %s: SlowDelay is %v, negative", s.Name, s.SlowDelay)
	case s.Clients < 0 || s.Clients > s.Workers:
		return fmt.Errorf("bench: scenario %s: Clients is %d, want 0 to Workers (%d)", s.Name, s.Clients, s.Workers)
	case s.Hold < 0 || s.Hold > 0 && s.Kind != Waiting && !s.Kind.elects():
		return fmt.Errorf("bench: scenario %s: Hold is %v, want 0, or positive in a %s, %s or %s scenario",
			s.Name, s.Hold, Waiting, Failover, Handover)
	case s.Kind.elects() && (s.Workers < 2 || s.Clients != s.Workers):
		return fmt.Errorf("bench: scenario %s: %d workers on %d clients; an election needs at least 2 "+
			"candidates, each a client of its own", s.Name, s.Workers, s.Clients)
	case s.TTL < 0 || s.Ops < 0:
		return fmt.Errorf("bench: scenario %s: TTL %v, Ops %d: want 0 or positive", s.Name, s.TTL, s.Ops)
	case s.Permits < 0 || s.Permits > 0 && s.Kind != Waiting:
		return fmt.Errorf("bench: scenario %s: Permits is %d, want 0, or positive in a %s scenario", s.Name, s.Permits, Waiting)
	}
	for _, t := range s.Targets {
		if err := t.validate(s); err != nil {
			return fmt.Errorf("bench: scenario %s: %w", s.Name, err)
		}
	}
	return nil
}
