package semaphore

import (
	"context"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// Permit is one permit of a semaphore: a lease on one of its slots. It is safe for concurrent
// use. Its token is that slot's: unique to this grant and greater than the token of every
// earlier grant of the slot; pass it to the store the semaphore protects, which must keep one
// fence per slot (keyed by Name) and refuse older tokens there.
//
// The permit holds until ValidUntil, which Extend moves forward. Done is closed the moment it
// is released, its validity runs out, or it is lost; Err then says which.
type Permit struct {
	g    grant
	slot int
	name string // the slot's lock name
}

// grant is what a Permit holds: a *quorum.Lease on a slot, or the unsafe mutant's grant.
type grant interface {
	Token() fencing.Token
	ValidUntil() time.Time
	Done() <-chan struct{}
	Err() error
	Extend(ctx context.Context) error
	AutoExtend()
	Release(ctx context.Context) error
}

var _ grant = (*quorum.Lease)(nil)

// Token returns the fencing token of this grant of the permit's slot. Tokens of different
// slots are unrelated: compare it only with tokens of the same slot (Name).
func (p *Permit) Token() fencing.Token { return p.g.Token() }

// Slot returns the slot the permit holds, in [0, N). A permit of the deliberately unsafe
// mutant semaphore-majority holds no slot: its Slot is -1.
func (p *Permit) Slot() int { return p.slot }

// Name returns the name of the lock the permit holds, SlotName(semaphore, Slot()): the key of
// the fence its token belongs to.
func (p *Permit) Name() string { return p.name }

// ValidUntil returns the time until which the permit is guaranteed, on the Locker's clock (see
// quorum.Lease.ValidUntil).
func (p *Permit) ValidUntil() time.Time { return p.g.ValidUntil() }

// Done returns a channel that is closed once the permit is released, expired or lost. It is
// never closed while the permit is still guaranteed.
func (p *Permit) Done() <-chan struct{} { return p.g.Done() }

// Err returns nil while the permit holds, an error wrapping quorum.ErrReleased after Release,
// and one wrapping quorum.ErrLeaseLost after its validity ran out or a majority of the nodes
// stopped holding its slot.
func (p *Permit) Err() error { return p.g.Err() }

// Extend extends the permit's lease on its slot to a full TTL and moves ValidUntil forward, as
// quorum.Lease.Extend does, with its errors.
func (p *Permit) Extend(ctx context.Context) error { return p.g.Extend(ctx) }

// AutoExtend keeps the permit extended until Release, until it is lost, or until the Locker
// closes, as quorum.Lease.AutoExtend does; Do uses it.
func (p *Permit) AutoExtend() { p.g.AutoExtend() }

// Release frees the permit's slot for others, as quorum.Lease.Release does: it stops
// auto-extension first, runs on a context of its own (a cancelled ctx still releases), returns
// once a majority of the nodes answered, and is idempotent.
func (p *Permit) Release(ctx context.Context) error { return p.g.Release(ctx) }

// Lease returns the quorum lease on the permit's slot, which the permit is: for code written
// for a *quorum.Lease. It is nil for a permit of the deliberately unsafe mutant
// semaphore-majority, which holds no slot.
func (p *Permit) Lease() *quorum.Lease {
	le, _ := p.g.(*quorum.Lease)
	return le
}
