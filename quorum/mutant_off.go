//go:build !quorumlock_mutants

package quorum

import "github.com/quorumlock/quorumlock/internal/mutants"

// In this build no mutant can be enabled (see package internal/mutants): the checks compile to
// nothing.

func (l *Locker) mutant(mutants.Mutant) bool { _ = l.mutants; return false }

type lockerMutants struct{}

type nodeMutants struct{}

func (n *redisNode) mutated(sc script) script { _ = n.mutants; return sc }
