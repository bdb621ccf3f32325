package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// run starts the nodes, the observer and the candidates, tells the story, stops everything and
// checks what happened; it returns the exit status.
func run(ctx context.Context, cfg config, out io.Writer) int {
	tl := newTimeline(out)
	urls, stopNodes, err := startNodes(nodes)
	if err != nil {
		fmt.Fprintln(out, "scheduler:", err)
		return 1
	}
	defer stopNodes()
	if err := bringIntoService(ctx, urls); err != nil {
		fmt.Fprintln(out, "scheduler:", err)
		return 1
	}
	tl.logf("main", "%d in-process nodes, brought into service as a new deployment; TTL %v", nodes, cfg.ttl)
	octx, stopObserver := context.WithCancel(ctx)
	waitObserver, err := observe(octx, urls, cfg, tl)
	if err != nil {
		stopObserver()
		fmt.Fprintln(out, "scheduler:", err)
		return 1
	}
	q := newQueue()
	cands, err := startCandidates(ctx, urls, cfg, tl, q)
	if err == nil {
		err = story(ctx, cfg, tl, cands)
	}
	for _, c := range cands {
		c.close()
	}
	tl.logf("main", "every candidate stopped")
	stopObserver()
	waitObserver()
	if err != nil {
		fmt.Fprintf(out, "\nscheduler: the story did not go as planned: %v\n", err)
	}
	if !summarize(out, tl, q) || err != nil {
		return 1
	}
	return 0
}

// startCandidates connects the candidates and starts their campaigns.
func startCandidates(ctx context.Context, urls []string, cfg config, tl *timeline, q *queue) ([]*candidate, error) {
	tl.logf("main", "%d candidates campaign for %q", candidates, lockName)
	var cands []*candidate
	for i := 1; i <= candidates; i++ {
		c, err := newCandidate(ctx, fmt.Sprintf("scheduler-%d", i), urls, cfg, tl, q)
		if err != nil {
			return cands, err
		}
		cands = append(cands, c)
		c.campaign(ctx)
	}
	return cands, nil
}

// story lets a first leader lead, makes it leave and waits for the handover, lets the next one
// lead, crashes it and waits for the takeover, and lets the last one lead.
func story(ctx context.Context, cfg config, tl *timeline, cands []*candidate) error {
	if _, err := tl.awaitLeader(ctx, cfg.stepTimeout, "first leader", 0); err != nil {
		return err
	}
	if err := pause(ctx, cfg.phase); err != nil {
		return err
	}
	leader, c, err := currentLeader(ctx, cfg, tl, cands)
	if err != nil {
		return err
	}
	tl.logf("main", "%s, the leader, leaves: its Run ends, and resigns the term once its function returned", c.id)
	left := time.Now()
	c.leave()
	next, err := tl.awaitLeader(ctx, cfg.stepTimeout, "handover after the leader left", leader.token)
	if err != nil {
		return err
	}
	tl.mark("left", leader.token)
	tl.logf("main", "handover to %s %v after %s was told to leave", next.id, next.start.Sub(left).Round(time.Millisecond), c.id)
	c.campaign(ctx)
	tl.logf(c.id, "campaigns again")
	if err := pause(ctx, cfg.phase); err != nil {
		return err
	}
	if leader, c, err = currentLeader(ctx, cfg, tl, cands); err != nil {
		return err
	}
	tl.logf("main", "kill -9 %s, the leader: its connections close, nothing is released", c.id)
	crashed := time.Now()
	c.crash()
	if next, err = tl.awaitLeader(ctx, cfg.stepTimeout, "takeover after the crash", leader.token); err != nil {
		return err
	}
	tl.mark("crashed", leader.token)
	tl.logf("main", "%s took over %v after the crash, once the dead leader's keys expired", next.id, next.start.Sub(crashed).Round(time.Millisecond))
	return pause(ctx, cfg.phase)
}

// currentLeader returns the term that lasts now and its candidate.
func currentLeader(ctx context.Context, cfg config, tl *timeline, cands []*candidate) (term, *candidate, error) {
	t, err := tl.awaitLeader(ctx, cfg.stepTimeout, "leader", 0)
	if err != nil {
		return t, nil, err
	}
	for _, c := range cands {
		if c.id == t.id {
			return t, c, nil
		}
	}
	return t, nil, fmt.Errorf("no candidate %q", t.id)
}

// pause waits for d, or returns ctx's error.
func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
