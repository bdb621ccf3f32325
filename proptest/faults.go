package proptest

import (
	"context"
	"sync"
	"time"
)

// injector applies a scenario's fault schedule to a cluster, one goroutine per fault, and records
// each fault from the moment it was applied to the moment it was healed. Client pauses are not
// applied here: the client that pauses asks for them (takePause).
type injector struct {
	s     Scenario
	c     *cluster
	rec   *recorder
	walls map[int]*wallClock // the clients' clocks, by client

	cancel context.CancelFunc
	wg     sync.WaitGroup // the fault goroutines
	done   chan struct{}  // closed once every node fault has been applied and healed

	mu     sync.Mutex
	pauses []Fault // client pauses not yet taken

	downMu sync.Mutex      // held while a node is killed or restarted
	downs  map[int]int     // restarts in progress per node
	how    map[int]revival // per node down: what it comes back with (the least of its restarts)
}

// startInjector starts the schedule; stop ends it.
func startInjector(ctx context.Context, s Scenario, c *cluster, rec *recorder, walls map[int]*wallClock) *injector {
	ctx, cancel := context.WithCancel(ctx)
	in := &injector{s: s, c: c, rec: rec, walls: walls, cancel: cancel, done: make(chan struct{})}
	for _, f := range s.Faults {
		if f.Kind == FaultPause {
			in.pauses = append(in.pauses, f)
			continue
		}
		in.wg.Add(1)
		go func() {
			defer in.wg.Done()
			in.run(ctx, f)
		}()
	}
	go func() { // ends with the fault goroutines
		in.wg.Wait()
		close(in.done)
	}()
	return in
}

// finished reports whether the schedule is over.
func (in *injector) finished() bool {
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}

// stop ends every fault still active, waits for the fault goroutines and heals every node.
func (in *injector) stop() {
	in.cancel()
	<-in.done
	in.c.healAll()
}

// run applies one node fault at its time, and heals it when it is over or the run stops.
func (in *injector) run(ctx context.Context, f Fault) {
	if !sleep(ctx, f.At-in.rec.now()) {
		return
	}
	// An instant fault is recorded around the call; an interval fault from just after it was
	// applied to just before it was healed, so that it surely held throughout the interval.
	op := Op{Kind: OpFault, Fault: &f, OK: true, Invoke: in.rec.now()}
	switch f.Kind {
	case FaultDataLoss:
		for _, n := range f.Nodes {
			op.Err = errString(op.Err, in.c.srv.flushAll(n))
		}
	case FaultClockJump:
		for _, n := range f.Nodes {
			op.Err = errString(op.Err, in.c.srv.age(n, f.Duration))
		}
	case FaultDrift:
		in.drift(ctx, f, &op)
	case FaultRestart:
		in.restart(ctx, f, &op)
	case FaultRollback:
		in.rollback(ctx, f, &op)
	case FaultWallStep:
		if w := in.walls[f.Client]; w != nil { // the peer reads no wall clock
			w.step(f.Step)
		}
	case FaultFreeze:
		if w := in.walls[f.Client]; w != nil { // the peer reads no clock of ours
			w.freeze(f.Duration)
		}
		sleep(ctx, f.Duration)
	default:
		for _, n := range f.Nodes {
			in.c.ctls[n].set(f, true)
		}
		op.Invoke = in.rec.now()
		sleep(ctx, f.Duration)
		op.Complete = in.rec.now()
		for _, n := range f.Nodes {
			in.c.ctls[n].set(f, false)
		}
		in.rec.add(op)
		return
	}
	op.Complete = in.rec.now()
	in.rec.add(op)
}

// restart kills the nodes (kill -9), keeps them down for f.Duration (or until the run stops) and
// starts them again, with their data if f.Persist. A node always comes back. Overlapping
// restarts of a node nest: it is down from the first kill to the last restart, and comes back
// with the least that any of them keeps.
func (in *injector) restart(ctx context.Context, f Fault, op *Op) {
	how := map[bool]revival{false: reviveEmpty, true: reviveData}[f.Persist]
	for _, n := range f.Nodes {
		op.Err = errString(op.Err, in.down(n, how))
	}
	sleep(ctx, f.Duration)
	for _, n := range f.Nodes {
		op.Err = errString(op.Err, in.up(n))
	}
}

// rollback saves the nodes' data now, and f.Duration later (or when the run stops) kills them
// and restarts them from that snapshot: what a restart that reloads an old RDB file, a failover
// to a lagging replica or a restored backup bring back.
func (in *injector) rollback(ctx context.Context, f Fault, op *Op) {
	for _, n := range f.Nodes {
		op.Err = errString(op.Err, in.c.srv.snapshot(n))
	}
	sleep(ctx, f.Duration)
	for _, n := range f.Nodes {
		op.Err = errString(op.Err, in.down(n, reviveSnapshot))
		op.Err = errString(op.Err, in.up(n))
	}
}

// down kills node n unless it is down already; how says what it comes back with.
func (in *injector) down(n int, how revival) error {
	in.downMu.Lock()
	defer in.downMu.Unlock()
	if in.downs == nil {
		in.downs, in.how = map[int]int{}, map[int]revival{}
	}
	in.downs[n]++
	if in.downs[n] > 1 {
		in.how[n] = min(in.how[n], how)
		return nil
	}
	in.how[n] = how
	return in.c.srv.kill(n)
}

// up restarts node n when the last restart that took it down ends.
func (in *injector) up(n int) error {
	in.downMu.Lock()
	defer in.downMu.Unlock()
	if in.downs[n]--; in.downs[n] > 0 {
		return nil
	}
	how := in.how[n]
	delete(in.how, n)
	return in.c.srv.revive(n, how)
}

// driftTick is how often a drifting node's clock is moved ahead.
const driftTick = 2 * time.Millisecond

// drift makes the nodes' clocks run 1+Rate times as fast for f.Duration: every tick, each node's
// keys age by Rate times the real time since the last tick, on top of the real time itself, in
// whole milliseconds (what a real server's PEXPIRE takes; the rest is owed to the next tick). A
// late tick is credited one tick only: a key set just before it must not age faster than Rate
// allows, or a drift inside the timing model would expire keys too early. A key may still age
// up to 1 ms plus Rate ticks early, within the 2 ms the validity keeps for granularity.
func (in *injector) drift(ctx context.Context, f Fault, op *Op) {
	op.Invoke = in.rec.now()
	t := time.NewTicker(driftTick)
	defer t.Stop()
	end := time.Now().Add(f.Duration)
	last := time.Now()
	var owed time.Duration
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			owed += time.Duration(float64(min(now.Sub(last), driftTick)) * f.Rate)
			last = now
			if step := owed.Truncate(time.Millisecond); step > 0 {
				owed -= step
				for _, n := range f.Nodes {
					op.Err = errString(op.Err, in.c.srv.age(n, step))
				}
			}
			if !now.Before(end) {
				return
			}
		}
	}
}

// errString keeps the first error met while applying a fault.
func errString(prev string, err error) string {
	if prev != "" || err == nil {
		return prev
	}
	return err.Error()
}

// takePause returns how long client must pause before its next fenced write: the pauses
// scheduled for it whose time has come, each taken once.
func (in *injector) takePause(client int) time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	now := in.rec.now()
	var d time.Duration
	kept := in.pauses[:0]
	for _, f := range in.pauses {
		if f.Client == client && f.At <= now {
			d += f.Duration
			continue
		}
		kept = append(kept, f)
	}
	in.pauses = kept
	return d
}

// sleep waits d, or until ctx ends; it reports whether the whole of d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
