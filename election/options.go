package election

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/quorum"
)

// Options configures an Election. The zero value of every field means its documented default;
// the defaults of the durations follow the Locker's options (quorum.Locker.Options).
type Options struct {
	// ID names this candidate to everyone: Leader, Observe and the command quorumlock leader
	// show it. UTF-8, at most quorum.MaxIDLen bytes, no control characters or braces. Give
	// every candidate its own; two with one ID cannot be told apart by the observers (their
	// terms still can, by token). Default: the host name and the process id, "host:pid".
	ID string
	// StopMargin is how long before the end of a term's validity (Lease.ValidUntil, moved by
	// every extension) Term.Done is closed if the term was not extended meanwhile: the time
	// left to the leader to stop acting as one. It must leave room for an extension: StopMargin
	// + the Locker's ExtendInterval + its drift allowance < TTL. Default: TTL/5 or twice the
	// Locker's NodeTimeout, whichever is longer.
	StopMargin time.Duration
	// StopTimeout is how long Run waits, once it cancelled its function's context, for the
	// function to return before it gives the term up without releasing it (ErrStopTimeout).
	// Default: StopMargin, the time that is left of the term's validity when Done closes.
	StopTimeout time.Duration
	// ObserveInterval is how often Observe reads who leads, besides reading at once at every
	// release announcement. Default: TTL/4.
	ObserveInterval time.Duration
	// OnStarted, if not nil, is called by Run in Run's goroutine when this candidate starts
	// leading: after it won a term and before Run's function is called with it.
	OnStarted func(term *Term)
	// OnStopped, if not nil, is called by Run in Run's goroutine once for every term that
	// OnStarted reported, and only for those, after Run's function returned and the term was
	// resigned. err is what the function returned, joined with the release's error if the
	// release failed; term.Err() says how the term ended. A function that overruns StopTimeout
	// delays it: watch the term's Done from OnStarted to learn at once that a term ended.
	OnStopped func(term *Term, err error)
}

// withDefaults returns o with every zero field set to its default for a Locker with options lo
// (themselves with defaults, as Locker.Options returns them).
func (o Options) withDefaults(lo quorum.Options) Options {
	if o.ID == "" {
		o.ID = defaultID()
	}
	if o.StopMargin == 0 {
		o.StopMargin = max(lo.TTL/5, 2*lo.NodeTimeout)
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = o.StopMargin
	}
	if o.ObserveInterval == 0 {
		o.ObserveInterval = lo.TTL / 4
	}
	return o
}

// validate reports every field out of range or in conflict with the Locker's options lo, in
// one error that wraps ErrInvalidOptions.
func (o Options) validate(lo quorum.Options) error {
	var errs []error
	if err := checkID(o.ID); err != nil {
		errs = append(errs, err)
	}
	drift := clock.Drift(lo.TTL, lo.DriftFactor)
	if o.StopMargin <= 0 || o.StopMargin+lo.ExtendInterval+drift >= lo.TTL {
		errs = append(errs, fmt.Errorf("StopMargin (%v) must be positive, and with the Locker's ExtendInterval (%v) and drift (%v) less than its TTL (%v): a term must be extended before it stops being trusted",
			o.StopMargin, lo.ExtendInterval, drift, lo.TTL))
	}
	if o.StopTimeout < 0 {
		errs = append(errs, fmt.Errorf("StopTimeout is %v, must be positive", o.StopTimeout))
	}
	if o.ObserveInterval < 0 {
		errs = append(errs, fmt.Errorf("ObserveInterval is %v, must be positive", o.ObserveInterval))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
}

// checkID applies quorum.As's rules to id, so that a bad ID is refused by New rather than by
// the first Campaign.
func checkID(id string) error {
	switch {
	case len(id) > quorum.MaxIDLen:
		return fmt.Errorf("ID of %d bytes, longer than %d", len(id), quorum.MaxIDLen)
	case !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return unicode.IsControl(r) || r == '{' || r == '}' }):
		return fmt.Errorf("ID %q: want UTF-8 without control characters or braces", id)
	}
	return nil
}

// defaultID returns "host:pid", the host name cut so that the whole fits in quorum.MaxIDLen.
func defaultID() string {
	host, err := os.Hostname()
	if err != nil || checkID(host) != nil {
		host = "unknown-host"
	}
	pid := ":" + strconv.Itoa(os.Getpid())
	if len(host)+len(pid) > quorum.MaxIDLen {
		host = strings.ToValidUTF8(host[:quorum.MaxIDLen-len(pid)], "")
	}
	return host + pid
}
