// Package mutants names the deliberately broken rules of the protocol that the safety campaign
// must catch. A mutant can be enabled only in builds made with the build tag
// quorumlock_mutants, where package quorum sets Enable; in every other build Enable is nil and
// the lock's checks of its mutants compile to nothing.
package mutants

import (
	"errors"
	"slices"
)

// Mutant names one deliberately broken rule of the protocol.
type Mutant string

// The mutants: each breaks one rule that docs/PROTOCOL.md argues is needed.
const (
	NoDrift        Mutant = "no-drift"         // validity without the drift allowance
	WaitAll        Mutant = "wait-all"         // wait for every node before deciding a round
	NoCleanup      Mutant = "no-cleanup"       // failed and cancelled attempts keep their keys
	SkipHeal       Mutant = "skip-heal"        // amnesic nodes are put back to work at once
	IncrToken      Mutant = "incr-token"       // token = max of per-node INCR counters (node script)
	ExtendRecreate Mutant = "extend-recreates" // extend re-creates an expired key (node script)
	BlindRelease   Mutant = "blind-release"    // release deletes without comparing (node script)
	LateReply      Mutant = "late-reply"       // a reply that arrives after NodeTimeout is counted
	AutoBootstrap  Mutant = "auto-bootstrap"   // a round in which every node is amnesic bootstraps them all
	MarkerBlind    Mutant = "marker-blind"     // the marker does not notice a restart (node script)
	DoNoDefer      Mutant = "do-no-defer"      // Do releases only if fn returns: a panic keeps the lock

	// The coordination primitives' mutants, enabled on the Locker they are built on.
	SemaphoreMajority Mutant = "semaphore-majority"    // a permit counted on a plain majority of per-node counts
	ObserveNoVacancy  Mutant = "observe-skips-vacancy" // election.Observe reports leaders only, never a vacancy
	LeaderEarlyEnd    Mutant = "leader-releases-early" // election.Run releases the term before its function returns
)

// All lists every mutant, in a fixed order.
var All = []Mutant{NoDrift, WaitAll, NoCleanup, SkipHeal, IncrToken, ExtendRecreate, BlindRelease,
	LateReply, AutoBootstrap, MarkerBlind, DoNoDefer, SemaphoreMajority, ObserveNoVacancy, LeaderEarlyEnd}

// Enable makes a *quorum.Locker break rule m from now on, on its nodes too for the node-script
// mutants. It is nil unless the build has the tag quorumlock_mutants.
var Enable func(locker any, m Mutant) error

// Check reports whether m is enabled on locker (a *quorum.Locker). It is nil unless the build
// has the tag quorumlock_mutants.
var Check func(locker any, m Mutant) bool

// Is reports whether m is enabled on locker: always false in a build without mutants. Packages
// built on a Locker (election, semaphore) ask it at the rule a mutant breaks.
func Is(locker any, m Mutant) bool { return Check != nil && Check(locker, m) }

// ErrUnavailable is returned by On in a build without mutants.
var ErrUnavailable = errors.New("mutants: a build with the tag quorumlock_mutants is needed")

// Available reports whether this build can enable mutants.
func Available() bool { return Enable != nil }

// On enables m on locker (a *quorum.Locker).
func On(locker any, m Mutant) error {
	if Enable == nil {
		return ErrUnavailable
	}
	return Enable(locker, m)
}

// Valid reports whether m names a mutant.
func Valid(m Mutant) bool { return slices.Contains(All, m) }

// InScript reports whether m lives in the node scripts rather than in the Locker.
func InScript(m Mutant) bool {
	return m == IncrToken || m == ExtendRecreate || m == BlindRelease || m == MarkerBlind
}
