package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/redisguard"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// worker is one exporter: it runs exports, one at a time, each under a permit.
type worker struct {
	n      int
	cfg    config
	locker *quorum.Locker
	guard  *redisguard.Guard
	h      *history
	batch  int
}

// loop runs exports until ctx ends. Worker 1 first waits a TTL, then runs the stalled export.
func (w *worker) loop(ctx context.Context) error {
	sem := semaphore.New(w.locker, semaphoreName, w.cfg.permits)
	if w.n == 1 {
		time.Sleep(w.cfg.ttl)
		err := w.stalledExport(ctx, sem)
		close(w.h.stalled)
		if err != nil {
			return err
		}
	}
	for ctx.Err() == nil {
		err := sem.Do(ctx, w.export)
		switch {
		case err == nil, ctx.Err() != nil:
		case errors.Is(err, quorum.ErrNeedsHeal), errors.Is(err, quorum.ErrClosed), errors.Is(err, semaphore.ErrInvalid):
			return err
		default: // a release or an extension that too few nodes answered in time: the keys expire
			w.h.logf(w.name(), "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	return nil
}

// export is one export under a permit held by Semaphore.Do. On purpose it does not check ctx
// between its work and its write: the fence, not a check, stops a writer whose permit is gone.
func (w *worker) export(_ context.Context, p *semaphore.Permit) error {
	e := w.h.began(w.n, p)
	time.Sleep(w.cfg.export) // the work
	w.write(p, e)
	w.h.ended(e, p)
	return nil
}

// stalledExport takes a permit and stalls with it for cfg.stall without extending it, as a
// process frozen by a long GC pause would (nothing runs in it, its keep-alive neither), then
// does its work and writes with the permit's token.
func (w *worker) stalledExport(ctx context.Context, sem *semaphore.Semaphore) error {
	p, err := sem.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = p.Release(context.Background()) }()
	e := w.h.began(w.n, p)
	e.stalled = true
	w.h.logf(w.name(), "STALLS for %v on slot %d (token %d) without extending its permit, as a long GC pause would",
		w.cfg.stall, p.Slot(), p.Token())
	time.Sleep(w.cfg.stall)
	w.h.logf(w.name(), "resumes: its permit ended (%v); it works and writes with token %d all the same", p.Err(), p.Token())
	time.Sleep(w.cfg.export)
	w.write(p, e)
	w.h.ended(e, p)
	return nil
}

// write writes the export's batch to the store through the fence of the permit's slot.
func (w *worker) write(p *semaphore.Permit, e *export) {
	w.batch++
	value := fmt.Sprintf("worker %d batch %d", w.n, w.batch)
	version, err := w.guard.Write(context.Background(), p.Name(), p.Token(), value)
	var stale *fencing.StaleTokenError
	switch {
	case errors.As(err, &stale):
		e.refused = true
		w.h.logf(w.name(), "write to slot %d REFUSED: %v", p.Slot(), err)
	case err != nil:
		e.err = err
		w.h.logf(w.name(), "write to slot %d failed: %v", p.Slot(), err)
	default:
		w.h.accepted(p.Name(), p.Token(), version)
	}
}

func (w *worker) name() string { return fmt.Sprintf("worker %d", w.n) }
