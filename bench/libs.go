package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
)

// Library names in reports.
const (
	Ours    = "ours"
	Redsync = "redsync"
	// OursPolling is ours with quorum.Options.DisableNotify: Acquire waits by polling alone.
	OursPolling = "ours (polling)"
)

// client is one library's lock client over one set of nodes, for one run.
type client interface {
	// pair takes the named lock as the library's Lock does and releases it.
	pair(ctx context.Context, name string) error
	// try makes one attempt at the named lock and releases it if granted. A refusal because
	// someone else holds the lock is not an error.
	try(ctx context.Context, name string) (granted bool, err error)
	// wait takes the named lock as the library's Lock does, holds it for hold and releases it.
	// It returns how long the library took to grant it (or to fail), and whether it did.
	wait(ctx context.Context, name string, hold time.Duration) (waited time.Duration, granted bool, err error)
	// campaign blocks until this client leads the election of name, or ctx ends, and returns
	// its term, which stays extended until it is resigned or crashed.
	campaign(ctx context.Context, name string) (term, error)
	// close closes the client; it is idempotent.
	close() error
}

// term is one term of leadership won by a client's campaign.
type term interface {
	// resign ends the term and releases its lock, so that another candidate can lead; it
	// releases even when ctx has ended.
	resign(ctx context.Context) error
	// crash ends the term as the death of its process would: extensions stop and the client
	// that won it is closed, without releasing, so that the lock's keys are left to expire.
	// The client must not be used again.
	crash() error
}

// oursClient is a quorum.Locker, with the options of its run.
type oursClient struct {
	l  *quorum.Locker
	id string // the candidate's ID in an election
}

func openOurs(ctx context.Context, urls []string, opts quorum.Options) (*oursClient, error) {
	l, err := quorum.Dial(ctx, urls, opts)
	if err != nil {
		return nil, fmt.Errorf("bench: dial ours: %w", err)
	}
	return &oursClient{l: l, id: "bench-" + randomHex(4)}, nil
}

func (c *oursClient) pair(ctx context.Context, name string) error {
	le, err := c.l.Acquire(ctx, name)
	if err != nil {
		return err
	}
	return le.Release(ctx)
}

func (c *oursClient) try(ctx context.Context, name string) (bool, error) {
	le, err := c.l.TryAcquire(ctx, name)
	if errors.Is(err, quorum.ErrNotAcquired) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, le.Release(ctx)
}

func (c *oursClient) wait(ctx context.Context, name string, hold time.Duration) (time.Duration, bool, error) {
	t0 := time.Now()
	le, err := c.l.Acquire(ctx, name)
	waited := time.Since(t0)
	if err != nil {
		return waited, false, err
	}
	err = sleep(ctx, hold)
	return waited, true, errors.Join(err, le.Release(ctx))
}

// campaign runs election.Campaign, as the candidate c.id with the election's default options.
func (c *oursClient) campaign(ctx context.Context, name string) (term, error) {
	t, err := election.New(c.l, name, election.Options{ID: c.id}).Campaign(ctx)
	if err != nil {
		return nil, err
	}
	return &oursTerm{t: t, c: c}, nil
}

// close waits for the Locker's background clean-ups, then closes its connections.
func (c *oursClient) close() error { return c.l.Close() }

// oursTerm is an election.Term won by an oursClient.
type oursTerm struct {
	t *election.Term
	c *oursClient
}

func (t *oursTerm) resign(ctx context.Context) error { return t.t.Resign(ctx) }

// crash closes the Locker, which stops extending the term's lease and does not release it.
// Resign then only waits for the term's keeper goroutine: its release fails, closed.
func (t *oursTerm) crash() error {
	err := t.c.close()
	_ = t.t.Resign(context.Background())
	return err
}
