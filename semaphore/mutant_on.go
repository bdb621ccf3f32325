//go:build quorumlock_mutants

package semaphore

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/mutants"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/redis/go-redis/v9"
)

// The semaphore-majority mutant: the design that docs/SEMAPHORE.md shows to be unsafe, kept,
// in builds with the tag quorumlock_mutants only, so that the safety campaign can show that it
// catches it. DELIBERATELY UNSAFE: never use it for anything but that.
//
// Each node keeps a count of the holders (a set of holders with their expiry, lua/mutants/
// majority_acquire.lua); a permit is granted when a majority of the nodes counted fewer than N
// holders and added this one. Three nodes and two permits grant three holders on the node
// pairs {1,2}, {2,3} and {1,3}, with no node counting more than two. Its tokens are the largest
// of the nodes' counters that granted, which is not safe either: two holders can get the same
// token, and a later one a smaller token. It ignores the nodes' markers (no amnesia check), and
// connects to each node with go-redis, from the node's name (host:port/db) and the Locker's
// Dialer, without password or TLS. Its permits hold no slot (Slot -1, Lease nil) and are named
// after the semaphore. It ignores the AcquireOptions (quorum.As).

var (
	//go:embed lua/mutants/majority_acquire.lua
	majorityAcquireLua string
	//go:embed lua/mutants/majority_extend.lua
	majorityExtendLua string

	// majorityAcquire: KEYS[1] permit set, KEYS[2] its counter; ARGV[1] holder, ARGV[2] N,
	// ARGV[3] ttl (ms). Returns {1, counter} if it added the holder, {0, 0} if N others hold.
	majorityAcquire = redis.NewScript(majorityAcquireLua)
	// majorityExtend: KEYS[1] permit set; ARGV[1] holder, ARGV[2] ttl (ms). Returns 1 if the
	// unexpired holder was renewed, 0 otherwise.
	majorityExtend = redis.NewScript(majorityExtendLua)
)

// majorityMutant reports whether the semaphore-majority mutant is on for the Semaphore's Locker.
func (s *Semaphore) majorityMutant() bool {
	return s.locker != nil && mutants.Is(s.locker, mutants.SemaphoreMajority)
}

// tryMajority is TryAcquire counted on a plain majority of per-node counts.
func (s *Semaphore) tryMajority(ctx context.Context) (*Permit, error) {
	o := s.locker.Options()
	g, err := newMajorityGrant(s, o)
	if err != nil {
		return nil, err
	}
	start := o.Clock.Now()
	answers := g.nodes.each(ctx, func(ctx context.Context, c *redis.Client) (any, error) {
		return majorityAcquire.Run(ctx, c, g.keys, g.holder, s.n, o.TTL.Milliseconds()).Int64Slice()
	})
	granted, full := 0, 0
	for _, a := range answers {
		if r, ok := a.v.([]int64); ok && a.err == nil && len(r) == 2 {
			if r[0] == 1 {
				granted++
				g.token = max(g.token, fencing.Token(r[1]))
			} else {
				full++
			}
		}
	}
	if granted >= majority(len(answers)) && clock.Validity(o.TTL, o.Clock.Since(start), o.DriftFactor) > 0 {
		g.start(start)
		return &Permit{g: g, slot: -1, name: s.name}, nil
	}
	_ = g.Release(ctx) // removes the holder wherever it was added, and closes the connections
	sentinel := quorum.ErrUnavailable
	if full > 0 {
		sentinel = quorum.ErrNotAcquired
	}
	return nil, fmt.Errorf("semaphore: %q: %w: %d of %d nodes counted a free permit, %d counted %d holders (the semaphore-majority mutant)",
		s.name, sentinel, granted, len(answers), full, s.n)
}

// majority returns the smallest majority of n nodes.
func majority(n int) int { return n/2 + 1 }

// randomHolder returns 128 random bits in hex: the mutant's holder names.
func randomHolder() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
