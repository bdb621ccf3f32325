package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// runOnce runs one library once on scenario i: warm-up, measured window, settle, close, then it
// counts and deletes the keys the run left.
func (r *runner) runOnce(ctx context.Context, i int, sc Scenario, lib string, round int) (Result, error) {
	topo, err := r.topologyFor(sc)
	if err != nil {
		return Result{}, err
	}
	defer topo.close()
	var ac *attemptCounter
	if isOurs(lib) {
		ac = &attemptCounter{}
	}
	cs, err := r.open(ctx, lib, sc, topo.urls, ac)
	if err != nil {
		return Result{}, err
	}
	tag := r.tag(i, round, lib)
	w := r.workload(lib, sc, tag, topo, cs, ac)
	win, before, after, err := r.measure(ctx, w, topo.live)
	if err == nil {
		err = sleep(ctx, r.cfg.Settle) // stragglers and background clean-ups finish
	}
	if err = errors.Join(err, closeAll(cs)); err != nil { // an election replaced its crashed clients in cs
		return Result{}, err
	}
	isLock := func(string) bool { return true } // redsync writes nothing but lock keys
	if isOurs(lib) {
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

// workload returns lib's workload on sc over the clients cs, its lock names starting with tag,
// its clients of ours observed by ac.
func (r *runner) workload(lib string, sc Scenario, tag string, topo *topology, cs []client, ac *attemptCounter) workload {
	w := workload{sc: sc, cs: cs, base: tag, attempts: ac}
	key := func(name string) string { return r.prefix(Ours) + "{" + name + "}" } // package quorum's layout
	if !isOurs(lib) {
		w.base = r.prefix(lib) + tag // redsync uses the name as the key
		key = func(name string) string { return name }
	}
	w.open = func(ctx context.Context) (client, error) { return r.openOne(ctx, lib, sc, topo.urls, ac) }
	w.freeAt = func(ctx context.Context, name string) (time.Time, error) {
		return r.admin.freeAt(ctx, topo.live, key(name), sc.Nodes/2+1)
	}
	return w
}

// open returns sc.clients() clients of lib over urls; those of ours report to ac.
func (r *runner) open(ctx context.Context, lib string, sc Scenario, urls []string, ac *attemptCounter) ([]client, error) {
	var cs []client
	for range sc.clients() {
		c, err := r.openOne(ctx, lib, sc, urls, ac)
		if err != nil {
			return nil, errors.Join(err, closeAll(cs))
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// openOne returns one client of lib over urls, with the options of sc; one of ours reports its
// attempts to ac.
func (r *runner) openOne(ctx context.Context, lib string, sc Scenario, urls []string, ac *attemptCounter) (client, error) {
	if !isOurs(lib) {
		return openRedsync(urls, sc.PeerFailFast, sc.TTL)
	}
	c, err := openOurs(ctx, urls, quorum.Options{KeyPrefix: r.prefix(lib), TTL: sc.TTL,
		DisableNotify: lib == OursPolling, Observer: ac})
	switch {
	case err != nil:
		return nil, err
	case sc.Permits > 0:
		return newSemClient(c, sc.Permits), nil
	}
	return c, nil
}

// closeAll closes every client of cs.
func closeAll(cs []client) error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.close())
	}
	return errors.Join(errs...)
}

// measure warms w up, then measures it between two samples.
func (r *runner) measure(ctx context.Context, w workload, live []int) (*window, sample, sample, error) {
	if r.cfg.WarmUp > 0 && !w.sc.Kind.elects() { // an election's first term, unmeasured, warms it up
		wctx, cancel := context.WithTimeout(ctx, r.cfg.WarmUp+opGrace)
		drive(wctx, w, "warm", r.cfg.WarmUp, 0)
		cancel()
	}
	before, err := r.takeSample(ctx, live, w.attempts, false)
	if err != nil {
		return nil, before, before, err
	}
	mctx, cancel := context.WithTimeout(ctx, w.sc.runTimeout(r.cfg.Duration))
	defer cancel()
	var win *window
	switch {
	case w.sc.Kind == Waiting:
		win = driveWaiting(mctx, w, r.cfg.Duration, r.cfg.MaxOps)
	case w.sc.Kind.elects():
		win = driveElection(mctx, w, r.cfg.Duration, r.cfg.MaxOps)
	default:
		win = drive(mctx, w, "run", r.cfg.Duration, r.cfg.MaxOps)
	}
	if err := ctx.Err(); err != nil {
		return nil, before, before, fmt.Errorf("interrupted: %w", err)
	}
	after, err := r.takeSample(ctx, live, w.attempts, true)
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
