//go:build unix

package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/sqlguard"
	"github.com/quorumlock/quorumlock/quorum"
)

// writeTimeout bounds one ledger write, which runs on a context of its own (see job).
const writeTimeout = 10 * time.Second

// replica is one copy of the worker.
type replica struct {
	cfg    config
	locker *quorum.Locker
	guard  *sqlguard.Guard
	emit   func(event)
}

// runReplica runs the worker until ctx ends or its supervisor goes away: it takes the lock with
// Locker.Do, runs the job while it holds it, and starts over when the lease is lost.
func runReplica(ctx context.Context, cfg config, stdout io.Writer) error {
	go exitWhenOrphaned(os.Stdin)
	db, err := openLedger(cfg.ledgerDB)
	if err != nil {
		return err
	}
	defer db.Close()
	guard, err := sqlguard.New(db, sqlguard.Options{Dialect: sqlguard.SQLite})
	if err != nil {
		return err
	}
	locker, err := quorum.Dial(ctx, strings.Split(cfg.nodeURLs, ","), quorum.Options{TTL: cfg.ttl})
	if err != nil {
		return err
	}
	defer locker.Close()
	r := &replica{cfg: cfg, locker: locker, guard: guard, emit: newEmitter(stdout, cfg.replica)}
	r.emit(event{Kind: kindStarted, PID: os.Getpid()})
	for ctx.Err() == nil {
		err := locker.Do(ctx, lockName, r.job)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, quorum.ErrLeaseLost), errors.Is(err, fencing.ErrStaleToken):
			// reported by job; contend again
		case err != nil:
			r.emit(event{Kind: kindError, Detail: err.Error()})
			time.Sleep(r.cfg.work)
		}
	}
	return nil
}

// exitWhenOrphaned ends the process when r (the supervisor's end of our stdin) closes, so that
// a replica never outlives its supervisor, even one killed with SIGKILL.
func exitWhenOrphaned(r io.Reader) {
	_, _ = io.Copy(io.Discard, r)
	os.Exit(3)
}

// job is the nightly billing, run while the lock is held: batch after batch, it reads the
// token, works, and writes the batch's ledger row through the fence with that token.
func (r *replica) job(ctx context.Context, lease *quorum.Lease) error {
	r.emit(event{Kind: kindAcquired, Token: lease.Token()})
	for batch := 1; ; batch++ {
		if ctx.Err() != nil { // between batches: stop once the lease is gone
			r.reportLost(ctx, lease)
			return context.Cause(ctx)
		}
		token := lease.Token()
		time.Sleep(r.cfg.work) // the batch's work: a GC pause or SIGSTOP may strike here
		// Deliberately no ctx check between the work and the write, and a write on a context of
		// its own: a check could not close the gap anyway (the pause may strike just after it),
		// so the example leaves it wide open and lets the store refuse a stale holder.
		err := r.write(token, batch)
		var stale *fencing.StaleTokenError
		switch {
		case errors.As(err, &stale):
			r.emit(event{Kind: kindRefused, Token: token, Fence: stale.Fence, Batch: batch, Detail: err.Error()})
			r.awaitLost(ctx, lease)
			return err // a newer holder exists: stop, never retry with this token
		case err != nil:
			return err
		}
		r.emit(event{Kind: kindAccepted, Token: token, Batch: batch})
	}
}

// write appends the batch's ledger row in the same transaction that advances the fence.
func (r *replica) write(token fencing.Token, batch int) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return r.guard.Write(ctx, resource, token, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			"INSERT INTO ledger (replica, token, batch, written_at) VALUES (?, ?, ?, ?)",
			r.cfg.replica, int64(token), batch, time.Now().UTC().Format(time.RFC3339Nano))
		return err
	})
}

// awaitLost waits, after a refusal, for the lease to be reported lost: a newer token was
// granted, so this lease's validity has run out (or is about to, on this process's clock).
func (r *replica) awaitLost(ctx context.Context, lease *quorum.Lease) {
	t := time.NewTimer(r.cfg.ttl)
	defer t.Stop()
	select {
	case <-ctx.Done():
		r.reportLost(ctx, lease)
	case <-t.C:
		r.emit(event{Kind: kindError, Token: lease.Token(),
			Detail: fmt.Sprintf("refused as stale, yet the lease still held after %v", r.cfg.ttl)})
	}
}

// reportLost reports why fn's context ended, if the lease was lost (not on shutdown).
func (r *replica) reportLost(ctx context.Context, lease *quorum.Lease) {
	if cause := context.Cause(ctx); errors.Is(cause, quorum.ErrLeaseLost) {
		detail, _, _ := strings.Cut(cause.Error(), " m=") // drop the monotonic clock reading
		r.emit(event{Kind: kindLost, Token: lease.Token(), Detail: detail})
	}
}
