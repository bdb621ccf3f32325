package quorum

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/quorumlock/quorumlock/clock"
)

// Defaults for the zero fields of Options.
const (
	DefaultTTL           = 10 * time.Second
	DefaultDriftFactor   = 0.01
	DefaultNodeTimeout   = 50 * time.Millisecond
	DefaultKeyPrefix     = "quorumlock:"
	DefaultRetryDelayMin = 5 * time.Millisecond
	DefaultRetryDelayMax = 100 * time.Millisecond
)

// maxDuration bounds every duration of Options, far beyond any sensible value, so that the sums
// and small multiples of them that the Locker computes (2 × NodeTimeout, NodeTimeout +
// CleanupTimeout, twice the retry delay) cannot overflow.
const maxDuration = 10 * 365 * 24 * time.Hour

// MaxQuarantine bounds TTL and Quarantine: the nodes keep a quarantine of at most a day,
// whatever a client asks, so that one misconfigured client cannot keep a node out of service.
const MaxQuarantine = 24 * time.Hour

// Options configures a Locker. The zero value of every field means its documented default.
// Every duration is at most ten years (87600h).
type Options struct {
	// TTL is how long a grant (and each extension) lasts on the nodes. Default DefaultTTL (10 s).
	TTL time.Duration
	// DriftFactor is the fraction of TTL allowed for clock drift between the client and the
	// nodes, in [0, 0.5); validity = TTL − elapsed − (TTL × DriftFactor + 2 ms).
	// Zero means DefaultDriftFactor (0.01).
	DriftFactor float64
	// NodeTimeout bounds every single call to one node; it must be well below TTL.
	// Default: DefaultNodeTimeout (50 ms), or TTL/10 if that is smaller.
	NodeTimeout time.Duration
	// KeyPrefix starts every key the lock writes. Default DefaultKeyPrefix ("quorumlock:").
	KeyPrefix string
	// Clock is the source of time. Default clock.Real().
	Clock clock.Clock
	// RetryDelayMin and RetryDelayMax bound Acquire's pauses between attempts: a jittered
	// pause that grows from RetryDelayMin after attempts that met contenders or too few nodes,
	// and, while the lock is held by others, a wait for its release announcement of at most a
	// jittered RetryDelayMax (the bound past a release whose announcement was lost, or an
	// expiry). With DisableNotify, every pause grows from RetryDelayMin. Defaults 5 ms and
	// 100 ms.
	RetryDelayMin, RetryDelayMax time.Duration
	// DisableNotify makes Acquire wait by polling alone (RetryDelayMin to RetryDelayMax), as
	// before notification: no pub/sub connection is opened, and callers of one Locker waiting
	// for one name all contend. Default false: Acquire wakes at the lock's release
	// announcements (see Locker.Watch) and polls only as a fallback.
	DisableNotify bool
	// ExtendInterval is how often Do extends its lease. Default TTL/3.
	ExtendInterval time.Duration
	// Quarantine is how long a node that lost its data (or restarted) refuses grants before it
	// may be healed. It must be at least the longest TTL, and more than twice the longest
	// NodeTimeout plus drift, that any client of these nodes uses (docs/PROTOCOL.md §6), and at
	// most MaxQuarantine (a day). A node keeps the largest quarantine its clients sent during
	// one loss, capped at a day, and forgets it once healed. Default: the smallest value that
	// satisfies this client's TTL and NodeTimeout, usually TTL.
	Quarantine time.Duration
	// CleanupTimeout bounds the clean-up of a failed, cancelled or released attempt, which runs
	// on a context of its own (never the caller's cancelled one). Default: 4 × NodeTimeout.
	CleanupTimeout time.Duration
	// Observer receives events about attempts, grants and nodes. Default: none.
	Observer Observer
	// TLSConfig is used by Dial for rediss:// URLs (its ServerName defaults to the URL's host).
	// Default: nil, meaning the system's roots and the URL's host.
	TLSConfig *tls.Config
	// Dialer opens every network connection to a node (before TLS). Default: nil, meaning a
	// net.Dialer. Connect directly to each Redis server: a proxy that keeps the connection open
	// while the server behind it restarts would hide the restart (docs/PROTOCOL.md §6.1).
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Validate returns o with every zero field set to its default, or an error wrapping
// ErrInvalidOptions that names every field out of range or in conflict with another: what Dial
// would return, without connecting.
func (o Options) Validate() (Options, error) {
	o = o.withDefaults()
	return o, o.validate()
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.DriftFactor == 0 {
		o.DriftFactor = DefaultDriftFactor
	}
	if o.NodeTimeout == 0 {
		o.NodeTimeout = min(DefaultNodeTimeout, o.TTL/10)
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = DefaultKeyPrefix
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.RetryDelayMin == 0 {
		o.RetryDelayMin = DefaultRetryDelayMin
	}
	if o.RetryDelayMax == 0 {
		o.RetryDelayMax = max(DefaultRetryDelayMax, o.RetryDelayMin)
	}
	if o.ExtendInterval == 0 {
		o.ExtendInterval = o.TTL / 3
	}
	if o.Quarantine == 0 {
		o.Quarantine = minQuarantine(o.TTL, o.NodeTimeout, o.DriftFactor)
	}
	if o.CleanupTimeout == 0 {
		o.CleanupTimeout = 4 * min(o.NodeTimeout, maxDuration/4) // no overflow: refused above maxDuration
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	return o
}

// minQuarantine returns the smallest quarantine that validate accepts for ttl and nodeTimeout:
// at least ttl, and q with q·(1 − drift) > 2·nodeTimeout + clock.MinDrift, rounded up to a
// millisecond. For nonsensical inputs (validate refuses them) it returns ttl.
func minQuarantine(ttl, nodeTimeout time.Duration, drift float64) time.Duration {
	if !(drift >= 0 && drift < 0.5) || nodeTimeout <= 0 || nodeTimeout > maxDuration {
		return ttl
	}
	q := time.Duration(float64(2*nodeTimeout+clock.MinDrift)/(1-drift)) + time.Millisecond
	return max(ttl, q.Truncate(time.Millisecond)+time.Millisecond)
}

// validate reports every field that is out of range or in conflict with another, in one error
// that wraps ErrInvalidOptions.
func (o Options) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if o.TTL <= 0 {
		bad("TTL is %v, must be positive", o.TTL)
	}
	if !(o.DriftFactor >= 0 && o.DriftFactor < 0.5) { // NaN too
		bad("DriftFactor is %v, must be in [0, 0.5)", o.DriftFactor)
	}
	if o.NodeTimeout <= 0 {
		bad("NodeTimeout is %v, must be positive", o.NodeTimeout)
	}
	if o.TTL > 0 && o.NodeTimeout >= o.TTL {
		bad("NodeTimeout (%v) must be less than TTL (%v)", o.NodeTimeout, o.TTL)
	}
	if o.TTL > 0 && o.NodeTimeout > 0 && clock.Validity(o.TTL, o.NodeTimeout, o.DriftFactor) <= 0 {
		bad("TTL (%v) leaves no validity after NodeTimeout (%v) and drift (%v)",
			o.TTL, o.NodeTimeout, clock.Drift(o.TTL, o.DriftFactor))
	}
	if o.TTL%time.Millisecond != 0 || o.TTL > 0 && o.TTL < 10*time.Millisecond {
		bad("TTL (%v) must be a whole number of milliseconds, at least 10ms", o.TTL)
	}
	if o.RetryDelayMin < 0 || o.RetryDelayMax < o.RetryDelayMin {
		bad("RetryDelayMin (%v) and RetryDelayMax (%v) must satisfy 0 <= min <= max", o.RetryDelayMin, o.RetryDelayMax)
	}
	if o.ExtendInterval <= 0 || o.ExtendInterval >= o.TTL {
		bad("ExtendInterval (%v) must be positive and less than TTL (%v)", o.ExtendInterval, o.TTL)
	}
	if o.Quarantine < o.TTL {
		bad("Quarantine (%v) must be at least TTL (%v)", o.Quarantine, o.TTL)
	}
	if o.TTL > MaxQuarantine || o.Quarantine > MaxQuarantine {
		bad("TTL (%v) and Quarantine (%v) must be at most %v", o.TTL, o.Quarantine, MaxQuarantine)
	}
	if o.Quarantine <= 2*o.NodeTimeout+clock.Drift(o.Quarantine, o.DriftFactor) {
		// A heal reads the other nodes' highest tokens in one round; every grant the lost node
		// took part in must have ended before that round began (docs/PROTOCOL.md, Amnesia).
		bad("Quarantine (%v) must exceed twice NodeTimeout (%v) plus drift", o.Quarantine, o.NodeTimeout)
	}
	if o.CleanupTimeout <= 0 {
		bad("CleanupTimeout is %v, must be positive", o.CleanupTimeout)
	}
	errs = append(errs, o.tooLong()...)
	if len(o.KeyPrefix) > 128 {
		bad("KeyPrefix is %d bytes, at most 128", len(o.KeyPrefix))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
}

// tooLong reports every duration above maxDuration.
func (o Options) tooLong() []error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"TTL", o.TTL}, {"NodeTimeout", o.NodeTimeout}, {"Quarantine", o.Quarantine}, {"RetryDelayMin", o.RetryDelayMin},
		{"RetryDelayMax", o.RetryDelayMax}, {"ExtendInterval", o.ExtendInterval}, {"CleanupTimeout", o.CleanupTimeout}} {
		if d.v > maxDuration {
			errs = append(errs, fmt.Errorf("%s (%v) must be at most %v", d.name, d.v, maxDuration))
		}
	}
	return errs
}
