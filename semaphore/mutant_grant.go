//go:build quorumlock_mutants

package semaphore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/redis/go-redis/v9"
)

// majorityGrant is a permit of the semaphore-majority mutant (mutant_on.go): a holder in the
// permit sets of a majority of the nodes. Its connections are closed by Release, which must be
// called even after the grant ended (Do does).
type majorityGrant struct {
	name   string
	o      quorum.Options
	nodes  *majorityNodes
	keys   []string // the permit set and its counter
	holder string
	token  fencing.Token

	mu         sync.Mutex
	validUntil time.Time
	err        error // nil while held
	done       chan struct{}
	expiry     clock.Timer
	released   bool
	stopAuto   chan struct{} // closed to stop AutoExtend's goroutine; nil until AutoExtend
	autoDone   chan struct{} // closed when that goroutine has ended
}

func newMajorityGrant(s *Semaphore, o quorum.Options) (*majorityGrant, error) {
	nodes, err := dialMajorityNodes(s.locker.Nodes(), o)
	if err != nil {
		return nil, err
	}
	set := o.KeyPrefix + "{" + s.name + "}:permits"
	return &majorityGrant{name: s.name, o: o, nodes: nodes, keys: []string{set, set + ":counter"},
		holder: randomHolder(), done: make(chan struct{})}, nil
}

// start makes the grant valid until start + TTL − drift.
func (g *majorityGrant) start(start time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.validUntil = start.Add(g.o.TTL - clock.Drift(g.o.TTL, g.o.DriftFactor))
	g.expiry = g.o.Clock.AfterFunc(g.validUntil.Sub(g.o.Clock.Now()), g.checkExpiry)
}

func (g *majorityGrant) Token() fencing.Token  { return g.token }
func (g *majorityGrant) Done() <-chan struct{} { return g.done }

func (g *majorityGrant) ValidUntil() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.validUntil
}

func (g *majorityGrant) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// checkExpiry ends the grant if its validity has run out (the timer may be an old one).
func (g *majorityGrant) checkExpiry() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil && !g.o.Clock.Now().Before(g.validUntil) {
		g.endLocked(fmt.Errorf("%w: semaphore %q (the semaphore-majority mutant): validity ran out", quorum.ErrLeaseLost, g.name))
	}
}

// endLocked ends a held grant with err. g.mu must be held.
func (g *majorityGrant) endLocked(err error) {
	if g.err != nil {
		return
	}
	g.err = err
	if g.expiry != nil {
		g.expiry.Stop()
	}
	close(g.done)
}

// Extend renews the holder on every node that still has it unexpired; a majority of renewals
// moves ValidUntil forward, fewer answers than can tell leave it, and otherwise it is lost.
func (g *majorityGrant) Extend(ctx context.Context) error {
	if err := g.Err(); err != nil {
		return err
	}
	start := g.o.Clock.Now()
	answers := g.nodes.each(ctx, func(ctx context.Context, c *redis.Client) (any, error) {
		return majorityExtend.Run(ctx, c, g.keys[:1], g.holder, g.o.TTL.Milliseconds()).Int64()
	})
	renewed, refused := 0, 0
	for _, a := range answers {
		switch {
		case a.err != nil:
		case a.v == int64(1):
			renewed++
		default:
			refused++
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.err != nil:
		return g.err
	case renewed >= majority(len(answers)) && clock.Validity(g.o.TTL, g.o.Clock.Since(start), g.o.DriftFactor) > 0:
		g.validUntil = start.Add(g.o.TTL - clock.Drift(g.o.TTL, g.o.DriftFactor))
		g.expiry.Stop()
		g.expiry = g.o.Clock.AfterFunc(g.validUntil.Sub(g.o.Clock.Now()), g.checkExpiry)
		return nil
	case refused > len(answers)-majority(len(answers)):
		g.endLocked(fmt.Errorf("%w: semaphore %q (the semaphore-majority mutant): %d of %d nodes no longer count it",
			quorum.ErrLeaseLost, g.name, refused, len(answers)))
		return g.err
	}
	return fmt.Errorf("semaphore: %q: extend: %w: %d of %d nodes renewed (the semaphore-majority mutant)",
		g.name, quorum.ErrUnavailable, renewed, len(answers))
}

// AutoExtend extends the grant every ExtendInterval until it ends or Release.
func (g *majorityGrant) AutoExtend() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil || g.stopAuto != nil {
		return
	}
	g.stopAuto, g.autoDone = make(chan struct{}), make(chan struct{})
	go g.autoExtend(g.stopAuto, g.autoDone)
}

func (g *majorityGrant) autoExtend(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		t := g.o.Clock.NewTimer(g.o.ExtendInterval)
		select {
		case <-stop:
			t.Stop()
			return
		case <-g.done:
			t.Stop()
			return
		case <-t.C():
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*g.o.NodeTimeout)
		_ = g.Extend(ctx)
		cancel()
	}
}

// Release removes the holder from every node's set and closes the connections. It is
// idempotent.
func (g *majorityGrant) Release(ctx context.Context) error {
	g.mu.Lock()
	if g.released {
		g.mu.Unlock()
		return nil
	}
	g.released = true
	g.endLocked(fmt.Errorf("%w: semaphore %q (the semaphore-majority mutant)", quorum.ErrReleased, g.name))
	stop, autoDone := g.stopAuto, g.autoDone
	g.mu.Unlock()
	if stop != nil {
		close(stop)
		<-autoDone
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.o.CleanupTimeout)
	defer cancel()
	g.nodes.each(ctx, func(ctx context.Context, c *redis.Client) (any, error) {
		return c.ZRem(ctx, g.keys[0], g.holder).Result()
	})
	return g.nodes.close()
}
