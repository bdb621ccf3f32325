package proptest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// FaultKind names one kind of fault a scenario injects.
type FaultKind string

// The kinds of fault. Node faults act on the servers, or in the fault layer below every client's
// connections to them; client-pause and wall-step act on one client of the workload.
const (
	FaultStall       FaultKind = "stall"        // the node is a black hole; queued requests run on resume
	FaultFail        FaultKind = "fail"         // requests fail without reaching the node
	FaultLoseReplies FaultKind = "lose-replies" // requests take effect, their replies are lost
	FaultDelay       FaultKind = "delay"        // requests reach the node Delay late
	FaultDataLoss    FaultKind = "data-loss"    // FLUSHALL: the node forgets everything (amnesia)
	FaultClockJump   FaultKind = "clock-jump"   // the node's clock jumps ahead by Duration: keys expire early
	FaultDrift       FaultKind = "drift"        // the node's clock runs 1+Rate times as fast for Duration
	FaultPause       FaultKind = "client-pause" // the client pauses Duration between a fenced read and write
	FaultRestart     FaultKind = "restart"      // kill -9, down for Duration, restart, with its data if Persist; amnesic either way
	FaultRollback    FaultKind = "rollback"     // a snapshot now; Duration later, kill -9 and restart from it (RDB reload, lagging replica, backup)
	FaultFreeze      FaultKind = "freeze"       // the client's process pauses for Duration wherever it is, even between a round and its use
	FaultSlowLink    FaultKind = "slow-link"    // requests of Clients to Nodes arrive Delay late, for Duration
	FaultPartition   FaultKind = "partition"    // Clients are cut off from Nodes, in Direction, for Duration
	FaultWallStep    FaultKind = "wall-step"    // the client's wall clock steps by Step (NTP); monotonic time does not
)

// The directions of a partition: what is lost between the clients and the nodes cut off.
const (
	CutBoth     = "both"     // requests and replies: the request never arrives
	CutRequests = "requests" // requests are lost: the request never arrives, the caller sees an error
	CutReplies  = "replies"  // replies are lost: the request runs, the caller sees an error
)

// AllFaultKinds lists every fault kind, in a fixed order.
var AllFaultKinds = []FaultKind{FaultStall, FaultFail, FaultLoseReplies, FaultDelay, FaultDataLoss,
	FaultClockJump, FaultDrift, FaultPause, FaultRestart, FaultPartition, FaultWallStep, FaultRollback,
	FaultFreeze, FaultSlowLink}

// Fault is one entry of a scenario's fault schedule.
type Fault struct {
	At       time.Duration `json:"at"`                 // offset from the start of the workload
	Kind     FaultKind     `json:"kind"`               // what happens
	Nodes    []int         `json:"nodes,omitempty"`    // node indexes, for node faults
	Duration time.Duration `json:"duration,omitempty"` // how long it lasts; for clock-jump, how far the clock jumps
	Delay    time.Duration `json:"delay,omitempty"`    // delay: the added latency per request
	Rate     float64       `json:"rate,omitempty"`     // drift: the node clock runs 1+Rate times as fast
	Client   int           `json:"client,omitempty"`   // client-pause: the client that pauses
	Persist  bool          `json:"persist,omitempty"`  // restart: the node keeps its data (AOF, fsync always)
	Clients  []int         `json:"clients,omitempty"`  // partition: the clients cut off from Nodes
	Cut      string        `json:"cut,omitempty"`      // partition: what is lost, CutBoth, CutRequests or CutReplies
	Step     time.Duration `json:"step,omitempty"`     // wall-step: how far the wall clock moves, back if negative
}

func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %s", f.At, f.Kind)
	if f.onClient() {
		fmt.Fprintf(&b, " client %d", f.Client)
	} else {
		fmt.Fprintf(&b, " nodes %v", f.Nodes)
	}
	switch f.Kind {
	case FaultClockJump:
		fmt.Fprintf(&b, " by %v", f.Duration)
	case FaultDataLoss, FaultWallStep:
	default:
		fmt.Fprintf(&b, " for %v", f.Duration)
	}
	if f.Kind == FaultDelay || f.Kind == FaultSlowLink {
		fmt.Fprintf(&b, " delay %v", f.Delay)
	}
	if f.Kind == FaultSlowLink {
		fmt.Fprintf(&b, " from clients %v", f.Clients)
	}
	if f.Kind == FaultDrift {
		fmt.Fprintf(&b, " rate %.3f", f.Rate)
	}
	if f.Kind == FaultRestart && f.Persist {
		b.WriteString(" with its data")
	}
	if f.Kind == FaultRollback {
		b.WriteString(", then back to that snapshot")
	}
	if f.Kind == FaultPartition {
		fmt.Fprintf(&b, " from clients %v, %s lost", f.Clients, f.Cut)
	}
	if f.Kind == FaultWallStep {
		fmt.Fprintf(&b, " by %v", f.Step)
	}
	return b.String()
}

// Scenario is one generated test case as data: the cluster, the clients and their workload, and
// the fault schedule. ScenarioFromSeed(Seed) rebuilds the scenario that the seed generated;
// a shrunk scenario keeps its Seed (it still draws the workload's per-operation choices) and is
// replayed from its printed JSON.
type Scenario struct {
	Seed        int64         `json:"seed"`
	Family      string        `json:"family"`  // which generator built it
	Shrunk      int           `json:"shrunk"`  // shrink steps applied to the generated scenario
	N           int           `json:"n"`       // nodes, 1..7
	Clients     int           `json:"clients"` // concurrent clients, one quorum.Locker each
	TTL         time.Duration `json:"ttl"`
	NodeTimeout time.Duration `json:"node_timeout"`
	DriftFactor float64       `json:"drift_factor"`
	Ops         int           `json:"ops"`                 // fenced updates per client, at least
	Hold        time.Duration `json:"hold"`                // longest pause inside a lease before the write
	ExpirePct   int           `json:"expire_pct"`          // percent of updates that hold the lease until it ends
	ExtendPct   int           `json:"extend_pct"`          // percent of updates that extend the lease once
	PanicPct    int           `json:"panic_pct,omitempty"` // percent of updates that run in Locker.Do and panic (ours only)
	Names       int           `json:"names,omitempty"`     // locks (each with its own store) the updates spread over; 0 means 1
	QuietAt     time.Duration `json:"quiet_at,omitempty"`  // no client starts an update in [QuietAt, QuietAt+QuietFor)
	QuietFor    time.Duration `json:"quiet_for,omitempty"` // (an idle deployment: nothing calls the nodes)
	// RetryDelayMax, when set, replaces the clients' RetryDelayMax (12 ms): the notify family
	// makes it many TTLs, so that a waiter is granted soon after a release only if the release's
	// announcement woke it, and the checker claims PropWake.
	RetryDelayMax time.Duration `json:"retry_delay_max,omitempty"`
	Workload      string        `json:"workload,omitempty"` // WorkloadLocks (""), WorkloadSemaphore or WorkloadElection
	Permits       int           `json:"permits,omitempty"`  // the semaphore's permits, 2..3
	Faults        []Fault       `json:"faults"`
	Script        []Step        `json:"script,omitempty"` // a scripted workload instead of the random one (script.go)
}

// Validate reports what makes s unusable, or nil.
func (s Scenario) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.N < 1 || s.N > 7 {
		bad("N is %d, must be in 1..7", s.N)
	}
	if s.Clients < 1 || s.Clients > 8 {
		bad("Clients is %d, must be in 1..8", s.Clients)
	}
	if s.TTL < 50*time.Millisecond || s.TTL%time.Millisecond != 0 {
		bad("TTL is %v, must be whole milliseconds, at least 50ms", s.TTL)
	}
	if s.NodeTimeout <= 0 || 3*s.NodeTimeout >= s.TTL {
		bad("NodeTimeout is %v, must be positive and below TTL/3", s.NodeTimeout)
	}
	if s.DriftFactor <= 0 || s.DriftFactor > 0.3 {
		bad("DriftFactor is %v, must be in (0, 0.3]", s.DriftFactor)
	}
	if s.Ops < 1 || s.Ops > 20 {
		bad("Ops is %d, must be in 1..20", s.Ops)
	}
	if s.PanicPct < 0 || s.PanicPct > 100 {
		bad("PanicPct is %d, must be in 0..100", s.PanicPct)
	}
	if s.Names < 0 || s.Names > 3 {
		bad("Names is %d, must be in 0..3", s.Names)
	}
	if err := s.validateWorkload(); err != nil {
		bad("%v", err)
	}
	if s.RetryDelayMax < 0 || s.RetryDelayMax > time.Minute {
		bad("RetryDelayMax is %v, must be in [0, 1m]", s.RetryDelayMax)
	}
	if s.QuietAt < 0 || s.QuietFor < 0 || s.QuietAt+s.QuietFor > time.Minute {
		bad("the quiet window [%v, +%v] must lie in [0, 1m]", s.QuietAt, s.QuietFor)
	}
	for i, f := range s.Faults {
		if err := s.validateFault(f); err != nil {
			bad("fault %d (%v): %v", i, f, err)
		}
	}
	if err := s.validateScript(); err != nil {
		bad("%v", err)
	}
	if s.persists() && s.rollsBack() {
		bad("rollbacks and restarts with their data cannot mix: a rollback reloads an RDB, which an AOF would hide")
	}
	return errors.Join(errs...)
}

func (s Scenario) validateFault(f Fault) error {
	if !slices.Contains(AllFaultKinds, f.Kind) {
		return fmt.Errorf("unknown kind %q", f.Kind)
	}
	if f.At < 0 || f.Duration < 0 || f.At > time.Minute || f.Duration > time.Minute {
		return errors.New("its offset and duration must lie in [0, 1m]")
	}
	if (f.Step != 0) != (f.Kind == FaultWallStep) || f.Step < -maxWallStep || f.Step > maxWallStep {
		return fmt.Errorf("step %v: wall steps only, nonzero, within ±%v", f.Step, maxWallStep)
	}
	if f.onClient() {
		if f.Client < 0 || f.Client >= s.Clients {
			return fmt.Errorf("no client %d", f.Client)
		}
		return nil
	}
	if len(f.Nodes) == 0 {
		return errors.New("no nodes")
	}
	for _, n := range f.Nodes {
		if n < 0 || n >= s.N {
			return fmt.Errorf("no node %d", n)
		}
	}
	if f.Persist && f.Kind != FaultRestart {
		return errors.New("persist is for restarts only")
	}
	if err := s.validatePartition(f); err != nil {
		return err
	}
	if f.Kind == FaultDrift && (f.Rate <= 0 || f.Rate > 1) {
		return fmt.Errorf("drift rate %v must be in (0, 1]", f.Rate)
	}
	return nil
}

// validateWorkload checks the workload and the fields that go with it.
func (s Scenario) validateWorkload() error {
	switch s.Workload {
	case WorkloadLocks:
		if s.Permits != 0 {
			return errors.New("permits are for the semaphore workload only")
		}
		return nil
	case WorkloadSemaphore:
		if s.Permits < 2 || s.Permits > 3 {
			return fmt.Errorf("the semaphore has %d permits, must have 2..3", s.Permits)
		}
	case WorkloadElection:
		if s.Permits != 0 {
			return errors.New("permits are for the semaphore workload only")
		}
	default:
		return fmt.Errorf("workload %q: want %q, %q or none", s.Workload, WorkloadSemaphore, WorkloadElection)
	}
	if s.Names > 1 || len(s.Script) > 0 || s.PanicPct > 0 {
		return fmt.Errorf("the %s workload takes one name, no script and no panics", s.Workload)
	}
	return nil
}

// onClient reports whether f acts on a client rather than on nodes.
func (f Fault) onClient() bool {
	return f.Kind == FaultPause || f.Kind == FaultWallStep || f.Kind == FaultFreeze
}

// maxWallStep bounds a client's wall-clock step: a few days, beyond the day ahead of its own
// clock that a node accepts in a proposal.
const maxWallStep = 72 * time.Hour

// validatePartition checks the clients and the direction of a partition, which other faults
// must not have.
func (s Scenario) validatePartition(f Fault) error {
	if f.Kind != FaultPartition && f.Kind != FaultSlowLink {
		if len(f.Clients) > 0 || f.Cut != "" {
			return errors.New("clients and cut are for partitions and slow links only")
		}
		return nil
	}
	if f.Kind == FaultSlowLink && (f.Cut != "" || f.Delay <= 0) {
		return errors.New("a slow link has a delay and no cut")
	}
	if f.Kind == FaultPartition && !slices.Contains([]string{CutBoth, CutRequests, CutReplies}, f.Cut) {
		return fmt.Errorf("cut %q: want %s, %s or %s", f.Cut, CutBoth, CutRequests, CutReplies)
	}
	if len(f.Clients) == 0 {
		return errors.New("a partition cuts off no client")
	}
	for _, c := range f.Clients {
		if c < 0 || c >= s.Clients {
			return fmt.Errorf("no client %d", c)
		}
	}
	return nil
}

// forgets reports whether f leaves its nodes amnesic: data loss, and any restart, whatever it
// reloads (the marker names the process that wrote it, docs/PROTOCOL.md §6.1).
func (f Fault) forgets() bool {
	return f.Kind == FaultDataLoss || f.Kind == FaultRestart || f.Kind == FaultRollback
}

// persists reports whether s restarts a node that must keep its data: the servers then run
// with an AOF, fsynced on every write.
func (s Scenario) persists() bool {
	return slices.ContainsFunc(s.Faults, func(f Fault) bool { return f.Kind == FaultRestart && f.Persist })
}

// rollsBack reports whether s restarts a node from an older snapshot.
func (s Scenario) rollsBack() bool {
	return slices.ContainsFunc(s.Faults, func(f Fault) bool { return f.Kind == FaultRollback })
}

// The workloads: what the clients take.
const (
	WorkloadLocks     = ""          // named locks, Names of them, each guarding a store
	WorkloadSemaphore = "semaphore" // permits of one semaphore (package semaphore), a store per slot
	WorkloadElection  = "election"  // terms of one election (package election), one store
)

// lockNames returns the number of names the clients take: locks, or one semaphore or election.
func (s Scenario) lockNames() int {
	if s.Workload != WorkloadLocks {
		return 1
	}
	return max(1, s.Names)
}

// names returns the number of resources of the workload, each with its own store and its own
// history in the checker: a lock each, or a semaphore's slots and one more for the permits that
// hold no slot (only the semaphore-majority mutant's do).
func (s Scenario) names() int {
	if s.Workload == WorkloadSemaphore {
		return s.Permits + 1
	}
	return s.lockNames()
}

// majority is the number of nodes that make a majority of s.N.
func (s Scenario) majority() int { return s.N/2 + 1 }

// lostNodes returns the distinct nodes that become amnesic during s: by data loss, a restart or
// a rollback.
func (s Scenario) lostNodes() []int {
	var lost []int
	for _, f := range s.Faults {
		if f.forgets() {
			for _, n := range f.Nodes {
				if !slices.Contains(lost, n) {
					lost = append(lost, n)
				}
			}
		}
	}
	return lost
}

// OutsideTimingModel returns why s lies outside the timing model of docs/PROTOCOL.md §1, in
// which leases never overlap: a node clock that jumps, or drifts faster than DriftFactor allows.
// Amnesic nodes stay inside, however many: a minority is quarantined and healed by the lock, a
// majority waits for the operator's recovery (§6.5), which the probe performs. Client pauses
// stay inside: a paused client acts late, but its lease still ends at ValidUntil. It returns nil
// for a scenario inside the model.
func (s Scenario) OutsideTimingModel() []string {
	var why []string
	for _, f := range s.Faults {
		switch {
		case f.Kind == FaultClockJump:
			why = append(why, "a node clock jumps")
		case f.Kind == FaultDrift && f.Rate > s.DriftFactor:
			why = append(why, fmt.Sprintf("drift %.3f exceeds DriftFactor %.3f", f.Rate, s.DriftFactor))
		}
	}
	return slices.Compact(why)
}

// majorityLost reports whether more than a minority of nodes become amnesic during s: no
// majority of healthy nodes may remain to heal them, and the probe may have to act as the
// operator (quorum.Locker.Heal) before it is granted.
func (s Scenario) majorityLost() bool { return len(s.lostNodes()) > s.N-s.majority() }

// String prints s on one line per fault, for failure reports.
func (s Scenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario seed=%d family=%s shrunk=%d N=%d clients=%d TTL=%v NT=%v drift=%.3f ops=%d hold=%v expire=%d%% extend=%d%%",
		s.Seed, s.Family, s.Shrunk, s.N, s.Clients, s.TTL, s.NodeTimeout, s.DriftFactor, s.Ops, s.Hold, s.ExpirePct, s.ExtendPct)
	if s.lockNames() > 1 {
		fmt.Fprintf(&b, " names=%d", s.lockNames())
	}
	if s.Workload != WorkloadLocks {
		fmt.Fprintf(&b, " workload=%s", s.Workload)
	}
	if s.Permits > 0 {
		fmt.Fprintf(&b, " permits=%d", s.Permits)
	}
	if s.PanicPct > 0 {
		fmt.Fprintf(&b, " panic=%d%%", s.PanicPct)
	}
	for _, f := range s.Faults {
		fmt.Fprintf(&b, "\n  %v", f)
	}
	for _, st := range s.Script {
		fmt.Fprintf(&b, "\n  %v client %d %s", st.At, st.Client, st.Do)
	}
	return b.String()
}

// JSON returns s as JSON, which ParseScenario reads back: the way to replay a shrunk scenario.
func (s Scenario) JSON() string {
	out, _ := json.Marshal(s) // a Scenario always marshals
	return string(out)
}

// ParseScenario reads a scenario printed by Scenario.JSON and validates it.
func ParseScenario(data string) (Scenario, error) {
	var s Scenario
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt key would silently leave its field at zero
	if err := dec.Decode(&s); err != nil {
		return Scenario{}, fmt.Errorf("proptest: scenario: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Scenario{}, errors.New("proptest: scenario: text after the JSON object")
	}
	if err := s.Validate(); err != nil {
		return Scenario{}, fmt.Errorf("proptest: scenario: %w", err)
	}
	return s, nil
}
