package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
)

// errCrashed is what a crashed leader's function returns: the process is gone.
var errCrashed = errors.New("crashed")

// candidate is one scheduler process: a Locker of its own and an election.Run loop.
type candidate struct {
	id     string
	cfg    config
	tl     *timeline
	q      *queue
	locker *quorum.Locker
	e      *election.Election

	cancel  context.CancelFunc
	done    chan struct{} // closed when Run returned
	crashed chan struct{} // closed by crash: the leader's function stops at once
}

// newCandidate connects the candidate id to the nodes.
func newCandidate(ctx context.Context, id string, urls []string, cfg config, tl *timeline, q *queue) (*candidate, error) {
	l, err := quorum.Dial(ctx, urls, quorum.Options{TTL: cfg.ttl})
	if err != nil {
		return nil, err
	}
	c := &candidate{id: id, cfg: cfg, tl: tl, q: q, locker: l, crashed: make(chan struct{})}
	c.e = election.New(l, lockName, election.Options{ID: id, OnStarted: c.started, OnStopped: c.stopped})
	return c, nil
}

// campaign starts the candidate's Run, until leave, crash or ctx's end.
func (c *candidate) campaign(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		err := c.e.Run(ctx, c.lead)
		if !errors.Is(err, context.Canceled) {
			c.tl.logf(c.id, "no longer a candidate: %v", err)
		}
	}()
}

// lead is the leader's function: it schedules a job every tick, fenced with the term's token,
// until its context is cancelled (the term ended, or the candidate leaves) or it crashes.
func (c *candidate) lead(ctx context.Context, et *election.Term) error {
	t := c.tl.began(c.id, et.Token())
	tick := time.NewTicker(c.cfg.tick)
	defer tick.Stop()
	for first := true; ; first = false {
		select {
		case <-ctx.Done():
			c.tl.ended(t, fmt.Sprint(context.Cause(ctx)))
			return ctx.Err()
		case <-c.crashed:
			c.tl.ended(t, "crashed")
			return errCrashed
		case <-tick.C:
			n, err := c.q.schedule(c.id, et.Token())
			if err != nil {
				c.tl.logf(c.id, "job REFUSED: %v", err)
				c.tl.ended(t, err.Error())
				return err
			}
			if first {
				c.tl.logf(c.id, "schedules job %d, and one every %v, with token %d", n, c.cfg.tick, et.Token())
			}
			c.tl.scheduled(t, n)
		}
	}
}

// started is OnStarted: this candidate leads.
func (c *candidate) started(et *election.Term) {
	c.tl.logf(c.id, "leads: term token %d", et.Token())
}

// stopped is OnStopped: the term is over and the leader's function has returned.
func (c *candidate) stopped(et *election.Term, err error) {
	switch {
	case errors.Is(err, errCrashed):
		c.tl.logf(c.id, "(dead: its term %d was not released, its keys expire within %v)", et.Token(), c.cfg.ttl)
	default:
		c.tl.logf(c.id, "stopped leading: term %d: %v", et.Token(), et.Err())
	}
}

// leave ends the candidate's Run: if it leads, its function is cancelled and its term
// released once the function returned.
func (c *candidate) leave() {
	c.cancel()
	<-c.done
}

// crash stops the candidate as kill -9 would: its connections close first, so that nothing
// is released, then its function stops.
func (c *candidate) crash() {
	_ = c.locker.Close()
	close(c.crashed)
	<-c.done
}

// close stops the candidate for good.
func (c *candidate) close() {
	if c.cancel != nil {
		c.leave()
	}
	_ = c.locker.Close()
}
