package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/fencing/redisguard"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
	"github.com/redis/go-redis/v9"
)

// nodes is the number of in-process Redis nodes the semaphore runs on.
const nodes = 3

// run starts the nodes and the store, runs the workers for cfg.run, then checks the history.
func run(ctx context.Context, cfg config, out io.Writer) error {
	h := newHistory(out, cfg.permits)
	urls, stopNodes, err := startNodes(nodes)
	if err != nil {
		return err
	}
	defer stopNodes()
	if err := bringIntoService(ctx, urls, cfg.ttl); err != nil {
		return err
	}
	h.logf("setup", "%d miniredis nodes, brought into service (Heal with NewDeployment: they have never served)", nodes)
	store := miniredis.NewMiniRedis()
	if err := store.StartAddr("127.0.0.1:0"); err != nil {
		return err
	}
	defer store.Close()
	client := redis.NewClient(&redis.Options{Addr: store.Addr()})
	defer client.Close()
	guard, err := redisguard.New(client, redisguard.Options{KeyPrefix: "export:"})
	if err != nil {
		return err
	}
	h.logf("setup", "store on %s: one fenced key per slot of semaphore %q (%d permits), %d workers",
		store.Addr(), semaphoreName, cfg.permits, cfg.workers)
	if err := runWorkers(ctx, cfg, urls, guard, h); err != nil {
		return err
	}
	if !h.check(ctx, guard) {
		return errors.New("a check failed")
	}
	return nil
}

// startNodes starts n in-process Redis servers on free loopback ports. Each tells a run_id, as
// redis-server does, and lets keys expire as time passes, as a real Redis does.
func startNodes(n int) (urls []string, stop func(), err error) {
	var servers []*quorumtest.Server
	stop = func() {
		for _, s := range servers {
			s.Close()
		}
	}
	for range n {
		s, err := quorumtest.StartServer()
		if err != nil {
			stop()
			return nil, nil, err
		}
		s.ClockTTL(true)
		servers = append(servers, s)
		urls = append(urls, "redis://"+s.Addr())
	}
	return urls, stop, nil
}

// bringIntoService declares the nodes, started just now, a new deployment: new nodes refuse
// every grant until an operator brings them in (quorumlock heal --new-deployment does the same).
func bringIntoService(ctx context.Context, urls []string, ttl time.Duration) error {
	l, err := quorum.Dial(ctx, urls, quorum.Options{TTL: ttl})
	if err != nil {
		return err
	}
	defer l.Close()
	_, err = l.Heal(ctx, quorum.HealOptions{NewDeployment: true})
	return err
}

// runWorkers runs cfg.workers workers, each with a Locker of its own as separate processes
// would have, until cfg.run has passed and the stalled export has ended (others must go on
// taking permits meanwhile, to take its slot over), then waits for their exports to end.
func runWorkers(ctx context.Context, cfg config, urls []string, guard *redisguard.Guard, h *history) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-time.After(cfg.run):
		case <-runCtx.Done():
		}
		select {
		case <-h.stalled:
			cancel()
		case <-runCtx.Done():
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.workers)
	for n := 1; n <= cfg.workers; n++ {
		l, err := quorum.Dial(ctx, urls, quorum.Options{TTL: cfg.ttl})
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		defer l.Close()
		w := &worker{n: n, cfg: cfg, locker: l, guard: guard, h: h}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.loop(runCtx); err != nil {
				errs <- fmt.Errorf("worker %d: %w", n, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []string
	for err := range errs {
		all = append(all, err.Error())
	}
	if len(all) > 0 {
		return errors.New(strings.Join(all, "; "))
	}
	return nil
}
