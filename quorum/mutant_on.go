//go:build quorumlock_mutants

package quorum

import (
	_ "embed"
	"fmt"
	"slices"
	"sync/atomic"
)

// MutantsAvailable reports whether this build can enable mutants: true with the build tag
// quorumlock_mutants.
const MutantsAvailable = true

//go:embed lua/mutants/acquire_incr.lua
var acquireIncrLua string

//go:embed lua/mutants/extend_recreate.lua
var extendRecreateLua string

//go:embed lua/mutants/extend_many_recreate.lua
var extendManyRecreateLua string

//go:embed lua/mutants/release_blind.lua
var releaseBlindLua string

var (
	acquireIncrScript    = newScript("acquire", acquireIncrLua)
	extendRecreateScript = newScript("extend", extendRecreateLua)
	extendManyRecreate   = newScript("extend_many", extendManyRecreateLua)
	releaseBlindScript   = newScript("release", releaseBlindLua)
)

// lockerMutants holds the mutants a Locker runs with.
type lockerMutants struct{ on atomic.Pointer[[]Mutant] }

// nodeMutants holds the mutant a RedisNode's scripts run with.
type nodeMutants struct{ on atomic.Pointer[Mutant] }

// EnableMutant makes l break rule m from now on. A node-script mutant must also be enabled on
// the nodes (EnableNodeMutant); on the Locker it only makes incr-token take its tokens from the
// nodes' counters.
func EnableMutant(l *Locker, m Mutant) error {
	if !slices.Contains(AllMutants, m) {
		return fmt.Errorf("quorum: no mutant %q", m)
	}
	for {
		old := l.mutants.on.Load()
		next := []Mutant{m}
		if old != nil {
			next = append(slices.Clone(*old), m)
		}
		if l.mutants.on.CompareAndSwap(old, &next) {
			return nil
		}
	}
}

// EnableNodeMutant makes n run the broken script of m instead of the correct one.
func EnableNodeMutant(n *RedisNode, m Mutant) error {
	if !nodeMutant(m) {
		return fmt.Errorf("quorum: %q is not a node-script mutant", m)
	}
	n.mutants.on.Store(&m)
	return nil
}

func (l *Locker) mutant(m Mutant) bool {
	on := l.mutants.on.Load()
	return on != nil && slices.Contains(*on, m)
}

// mutated returns the script n runs in place of sc.
func (n *RedisNode) mutated(sc script) script {
	m := n.mutants.on.Load()
	switch {
	case m == nil:
		return sc
	case *m == MutantIncrToken && sc.sha == acquireScript.sha:
		return acquireIncrScript
	case *m == MutantExtendRecreate && sc.sha == extendScript.sha:
		return extendRecreateScript
	case *m == MutantExtendRecreate && sc.sha == extendManyScript.sha:
		return extendManyRecreate
	case *m == MutantBlindRelease && sc.sha == releaseScript.sha:
		return releaseBlindScript
	}
	return sc
}

// nodeMutant reports whether m is applied by the node scripts rather than by the Locker.
func nodeMutant(m Mutant) bool {
	return m == MutantIncrToken || m == MutantExtendRecreate || m == MutantBlindRelease
}
