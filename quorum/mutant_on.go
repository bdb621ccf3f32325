//go:build quorumlock_mutants

package quorum

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/quorumlock/quorumlock/internal/mutants"
)

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
	// markerBlind: every script with a prologue that sees a missing marker but not a restart.
	markerBlind = blindScripts()
)

// blindScripts returns every script, by SHA1, with the marker prologue's check of the server
// process taken out.
func blindScripts() map[string]script {
	const check, blind = "return marker_run == run", "return true"
	if !strings.Contains(markerLua, check) {
		panic("quorum: marker-blind mutant: the prologue's check of the server process has changed")
	}
	prologue := strings.Replace(markerLua, check, blind, 1)
	bodies := map[string]string{acquireScript.sha: acquireLua, extendScript.sha: extendLua, extendManyScript.sha: extendManyLua,
		releaseScript.sha: releaseLua, stateScript.sha: stateLua, healScript.sha: healLua, holderScript.sha: holderLua}
	out := make(map[string]script, len(allScripts))
	for _, sc := range allScripts {
		out[sc.sha] = newScriptWith(sc.name, prologue, bodies[sc.sha])
	}
	return out
}

func init() {
	mutants.Enable = enable
	mutants.Check = func(locker any, m mutants.Mutant) bool {
		l, ok := locker.(*Locker)
		return ok && l.mutant(m)
	}
}

// lockerMutants holds the mutants a Locker runs with.
type lockerMutants struct {
	on atomic.Pointer[[]mutants.Mutant]
}

// nodeMutants holds the node-script mutant a node's scripts run with.
type nodeMutants struct {
	on atomic.Pointer[mutants.Mutant]
}

// enable makes locker (a *Locker) break rule m from now on; a node-script mutant is set on
// every node of the Locker.
func enable(locker any, m mutants.Mutant) error {
	l, ok := locker.(*Locker)
	if !ok {
		return fmt.Errorf("quorum: mutants are enabled on a *quorum.Locker, not %T", locker)
	}
	if !mutants.Valid(m) {
		return fmt.Errorf("quorum: no mutant %q", m)
	}
	for {
		old := l.mutants.on.Load()
		next := []mutants.Mutant{m}
		if old != nil {
			next = append(slices.Clone(*old), m)
		}
		if l.mutants.on.CompareAndSwap(old, &next) {
			break
		}
	}
	if mutants.InScript(m) {
		for _, n := range l.nodes {
			n.mutants.on.Store(&m)
		}
	}
	return nil
}

func (l *Locker) mutant(m mutants.Mutant) bool {
	on := l.mutants.on.Load()
	return on != nil && slices.Contains(*on, m)
}

// mutated returns the script n runs in place of sc.
func (n *redisNode) mutated(sc script) script {
	m := n.mutants.on.Load()
	switch {
	case m == nil:
		return sc
	case *m == mutants.MarkerBlind:
		return markerBlind[sc.sha]
	case *m == mutants.IncrToken && sc.sha == acquireScript.sha:
		return acquireIncrScript
	case *m == mutants.ExtendRecreate && sc.sha == extendScript.sha:
		return extendRecreateScript
	case *m == mutants.ExtendRecreate && sc.sha == extendManyScript.sha:
		return extendManyRecreate
	case *m == mutants.BlindRelease && sc.sha == releaseScript.sha:
		return releaseBlindScript
	}
	return sc
}
