package bench

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// runOnce runs one library once on scenario i: warm-up, measured window, settle, close, then it
// counts and deletes the keys the run left.
func (r *runner) runOnce(ctx context.Context, i int, sc Scenario, lib string, round int) (Result, error) {
	topo, err := r.topologyFor(sc)
	if err != nil {
		return Result{}, err
	}
	defer topo.close()
	c, err := r.open(ctx, lib, sc, topo.urls)
	if err != nil {
		return Result{}, err
	}
	tag := r.tag(i, round)
	w := workload{sc: sc, c: c, base: tag}
	if lib != Ours {
		w.base = r.prefix(lib) + tag // redsync uses the name as the key
	}
	win, before, after, err := r.measure(ctx, w, topo.live)
	if err == nil {
		err = sleep(ctx, r.cfg.Settle) // stragglers and background clean-ups finish
	}
	if err = errors.Join(err, c.close()); err != nil {
		return Result{}, err
	}
	isLock := func(string) bool { return true } // redsync writes nothing but lock keys
	if lib == Ours {
		isLock = func(k string) bool { return isLockKey(r.prefix(Ours), k) }
	}
	left, err := r.admin.count(ctx, r.pattern(lib, tag), isLock)
	if err != nil {
		return Result{}, err
	}
	if err := r.admin.drop(ctx, r.pattern(lib, tag)); err != nil {
		return Result{}, err
	}
	return result(lib, round, win, before, after, left), nil
}

// open returns lib's client over urls.
func (r *runner) open(ctx context.Context, lib string, sc Scenario, urls []string) (client, error) {
	if lib == Ours {
		return openOurs(ctx, urls, r.prefix(Ours))
	}
	return openRedsync(urls, sc.PeerFailFast)
}

// measure warms w up, then measures it between two samples.
func (r *runner) measure(ctx context.Context, w workload, live []int) (*window, sample, sample, error) {
	if r.cfg.WarmUp > 0 {
		wctx, cancel := context.WithTimeout(ctx, r.cfg.WarmUp+opGrace)
		drive(wctx, w, "warm", r.cfg.WarmUp, 0)
		cancel()
	}
	before, err := r.takeSample(ctx, live, false)
	if err != nil {
		return nil, before, before, err
	}
	mctx, cancel := context.WithTimeout(ctx, r.cfg.Duration+opGrace)
	defer cancel()
	win := drive(mctx, w, "run", r.cfg.Duration, r.cfg.MaxOps)
	if err := ctx.Err(); err != nil {
		return nil, before, before, fmt.Errorf("interrupted: %w", err)
	}
	after, err := r.takeSample(ctx, live, true)
	return win, before, after, err
}

// sleep waits for d, or returns an error wrapping ctx.Err() when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
