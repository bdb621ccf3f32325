package election_test

import (
	"context"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/clock/clocktest"
	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// observeInterval is the fake observer's ObserveInterval.
const observeInterval = time.Second

// observe starts Observe on e until the test ends, and drains its channel then, so that its
// goroutine is gone before goleak looks.
func observe(t *testing.T, e *election.Election) <-chan election.Leader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := e.Observe(ctx)
	t.Cleanup(func() {
		cancel()
		for range ch {
		}
	})
	return ch
}

// expect receives the next change from ch, within ten seconds, and requires it to be want.
func expect(t *testing.T, ch <-chan election.Leader, want election.Leader, what string) {
	t.Helper()
	select {
	case got, ok := <-ch:
		if !ok || got != want {
			t.Fatalf("%s: Observe sent %+v (open: %v), want %+v", what, got, ok, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Observe sent nothing in 10s, want %+v", what, want)
	}
}

// expectPolling is expect for the fake observer: it steps the observer's clock whenever the
// observer waits for it, until the next change arrives.
func expectPolling(t *testing.T, clk *clocktest.Fake, ch <-chan election.Leader, want election.Leader, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case got, ok := <-ch:
			if !ok || got != want {
				t.Fatalf("%s: Observe sent %+v (open: %v), want %+v", what, got, ok, want)
			}
			return
		case <-time.After(10 * time.Millisecond):
			if clk.Waiters() == 1 {
				clk.Step(observeInterval)
			}
		}
	}
	t.Fatalf("%s: Observe sent nothing in 10s, want %+v", what, want)
}

// fakeObserver is an Election that only observes, on a Locker of its own whose fake clock the
// test steps to make it read (pollOnce).
func fakeObserver(t *testing.T, c *quorumtest.Cluster) (*election.Election, *clocktest.Fake) {
	t.Helper()
	l, clk := fakeLocker(t, c)
	return election.New(l, "scheduler", election.Options{ID: "observer", ObserveInterval: observeInterval}), clk
}

// poll makes the fake observer read once more, once it waits for its clock: it has then read
// and sent everything before.
func poll(t *testing.T, clk *clocktest.Fake) {
	t.Helper()
	waitTimers(t, clk, 1)
	clk.Step(observeInterval)
}

// pollQuiet is poll, and waits for the read to be over (the observer waits for its clock
// again), failing the test if the observer sends anything meanwhile.
func pollQuiet(t *testing.T, clk *clocktest.Fake, ch <-chan election.Leader, what string) {
	t.Helper()
	poll(t, clk)
	deadline := time.Now().Add(10 * time.Second)
	for clk.Waiters() != 1 {
		select {
		case got := <-ch:
			t.Fatalf("%s: Observe sent %+v, want nothing", what, got)
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the observer did not read again within 10s", what)
		}
	}
}

// TestObserveSeesLeaderVacancyAndNextLeaderInOrder: the observer reports the vacancy it starts
// in, the leader, the vacancy after its resignation, and the next leader, in that order.
func TestObserveSeesLeaderVacancyAndNextLeaderInOrder(t *testing.T) {
	c := newCluster(t, 3)
	a, b := candidate(t, c, "host-a", quorum.Options{}), candidate(t, c, "host-b", quorum.Options{})
	o := election.New(c.Locker(t, patient(quorum.Options{})), "scheduler", election.Options{ID: "observer", ObserveInterval: 10 * time.Millisecond})
	ch := observe(t, o)
	expect(t, ch, election.Leader{}, "at first, nobody leads")
	ta := mustCampaign(t, a)
	expect(t, ch, ta.Leader(), "a leads")
	if err := ta.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, election.Leader{}, "a resigned")
	tb := mustCampaign(t, b)
	expect(t, ch, tb.Leader(), "b leads")
	if tb.Token() <= ta.Token() {
		t.Errorf("b's token %d is not above a's %d", tb.Token(), ta.Token())
	}
}

// TestObserveReportsAVacancyBetweenTwoLeaders: when one read sees a and the next sees b (a's
// term ended, and b won, between the two), Observe sends a vacancy before b.
func TestObserveReportsAVacancyBetweenTwoLeaders(t *testing.T) {
	c := newCluster(t, 3)
	o, clk := fakeObserver(t, c)
	ch := observe(t, o)
	expect(t, ch, election.Leader{}, "at first, nobody leads")
	a, _ := fakeCandidate(t, c, "host-a", election.Options{})
	ta := mustCampaign(t, a)
	poll(t, clk)
	expect(t, ch, ta.Leader(), "a leads")

	waitKeys(t, c, 3)
	for _, s := range c.Servers {
		s.Del(lockKey) // a's term ends unannounced, as if its keys expired
	}
	b, _ := fakeCandidate(t, c, "host-b", election.Options{})
	tb := mustCampaign(t, b)
	poll(t, clk)
	expect(t, ch, election.Leader{}, "a's term ended before b's began")
	expect(t, ch, tb.Leader(), "b leads")
}

// TestObserveNeverGoesBack: after b was reported, a read from nodes that still show a's older
// term (restored from a backup, say) is ignored, and the next change reported is b's end.
func TestObserveNeverGoesBack(t *testing.T) {
	c := newCluster(t, 3)
	o, clk := fakeObserver(t, c)
	ch := observe(t, o)
	expect(t, ch, election.Leader{}, "at first, nobody leads")
	a, _ := fakeCandidate(t, c, "host-a", election.Options{})
	ta := mustCampaign(t, a)
	expectPolling(t, clk, ch, ta.Leader(), "a leads")
	waitKeys(t, c, 3)
	stale := keysOf(c)
	for _, s := range c.Servers {
		s.Del(lockKey)
	}
	b, _ := fakeCandidate(t, c, "host-b", election.Options{})
	tb := mustCampaign(t, b)
	expectPolling(t, clk, ch, election.Leader{}, "a's term ended")
	expectPolling(t, clk, ch, tb.Leader(), "b leads")
	waitKeys(t, c, 3)
	current := keysOf(c)

	setKeys(c, stale)
	pollQuiet(t, clk, ch, "the nodes show a's older term")
	setKeys(c, current)
	pollQuiet(t, clk, ch, "the nodes show b's term again")
	if err := tb.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	expectPolling(t, clk, ch, election.Leader{}, "b resigned")
}

// TestObserveSkipsUnavailableReads: while too few nodes answer, Observe sends nothing (no
// vacancy), and it goes on once they answer again.
func TestObserveSkipsUnavailableReads(t *testing.T) {
	c := newCluster(t, 3)
	o, clk := fakeObserver(t, c)
	ch := observe(t, o)
	expect(t, ch, election.Leader{}, "at first, nobody leads")
	a, _ := fakeCandidate(t, c, "host-a", election.Options{})
	ta := mustCampaign(t, a)
	expectPolling(t, clk, ch, ta.Leader(), "a leads")
	c.Faults[0].Stall()
	c.Faults[1].Stall()
	pollQuiet(t, clk, ch, "two of three nodes stalled")
	c.Faults[0].Resume()
	c.Faults[1].Resume()
	pollQuiet(t, clk, ch, "the nodes answer again")
	if err := ta.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	expectPolling(t, clk, ch, election.Leader{}, "a resigned")
}

// TestObserveClosesItsChannelWhenCtxEnds: the channel is closed once ctx ends.
func TestObserveClosesItsChannelWhenCtxEnds(t *testing.T) {
	c := newCluster(t, 3)
	o := candidate(t, c, "observer", quorum.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	ch := o.Observe(ctx)
	expect(t, ch, election.Leader{}, "at first, nobody leads")
	cancel()
	select {
	case ldr, ok := <-ch:
		if ok {
			t.Fatalf("Observe sent %+v after ctx ended, want its channel closed", ldr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Observe's channel still open 10s after ctx ended")
	}
}

// electionKeys are the values of the election's lock key and fence counter on each node.
type electionKeys [][2]string

// keysOf reads the election's keys on every node.
func keysOf(c *quorumtest.Cluster) electionKeys {
	out := make(electionKeys, len(c.Servers))
	for i, s := range c.Servers {
		out[i][0], _ = s.Get(lockKey)
		out[i][1], _ = s.Get(lockKey + ":fence")
	}
	return out
}

// setKeys writes the election's keys on every node.
func setKeys(c *quorumtest.Cluster, keys electionKeys) {
	for i, s := range c.Servers {
		_ = s.Set(lockKey, keys[i][0])
		_ = s.Set(lockKey+":fence", keys[i][1])
	}
}
