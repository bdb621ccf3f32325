package main

import (
	"context"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// startNodes starts n in-process Redis servers on free loopback ports. Each tells a run_id, as
// redis-server does, so that the lock would see a restart, and lets keys expire as time passes.
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
		s.ClockTTL(true) // keys expire as time passes, as on a real Redis
		servers = append(servers, s)
		urls = append(urls, "redis://"+s.Addr())
	}
	return urls, stop, nil
}

// bringIntoService declares the nodes, started just now, a new deployment: new nodes refuse
// every grant until an operator brings them in (quorumlock heal --new-deployment does the same).
func bringIntoService(ctx context.Context, urls []string) error {
	l, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	_, err = l.Heal(ctx, quorum.HealOptions{NewDeployment: true})
	return err
}

// observe prints every change of leader that Observe reports, until ctx ends; the returned
// function waits for it to stop.
func observe(ctx context.Context, urls []string, cfg config, tl *timeline) (wait func(), err error) {
	l, err := quorum.Dial(ctx, urls, quorum.Options{TTL: cfg.ttl})
	if err != nil {
		return nil, err
	}
	changes := election.New(l, lockName, election.Options{ID: "observer"}).Observe(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer l.Close()
		for ldr := range changes {
			tl.observed(ldr)
			if ldr.IsZero() {
				tl.logf("observer", "nobody leads")
				continue
			}
			tl.logf("observer", "leader: %s, term token %d", ldr.ID, ldr.Token)
		}
	}()
	return func() { <-done }, nil
}
