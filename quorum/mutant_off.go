//go:build !quorumlock_mutants

package quorum

import "errors"

// MutantsAvailable reports whether this build can enable mutants: false without the build tag
// quorumlock_mutants.
const MutantsAvailable = false

var errNoMutants = errors.New("quorum: mutants need a build with the tag quorumlock_mutants")

// EnableMutant fails in this build.
func EnableMutant(*Locker, Mutant) error { return errNoMutants }

// EnableNodeMutant fails in this build.
func EnableNodeMutant(*RedisNode, Mutant) error { return errNoMutants }

func (l *Locker) mutant(Mutant) bool { _ = l.mutants; return false }

type lockerMutants struct{}

type nodeMutants struct{}

func (n *RedisNode) mutated(sc script) script { _ = n.mutants; return sc }
