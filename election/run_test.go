package election_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/clock/clocktest"
	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// stubborn is a leader function that reports each term it gets and the moment its context is
// cancelled, then ignores the cancellation until the test lets it return (letGo).
type stubborn struct {
	clk       *clocktest.Fake
	terms     chan *election.Term
	cancelled chan cancellation
	release   chan struct{} // closed by letGo: every call returns once cancelled
	once      sync.Once
}

// cancellation is what fn saw when its context was cancelled.
type cancellation struct {
	at, validUntil time.Time
	cause          error
}

func newStubborn(clk *clocktest.Fake) *stubborn {
	return &stubborn{clk: clk, terms: make(chan *election.Term, 4), cancelled: make(chan cancellation, 4), release: make(chan struct{})}
}

// letGo lets every call of fn return once cancelled. It is idempotent.
func (s *stubborn) letGo() { s.once.Do(func() { close(s.release) }) }

func (s *stubborn) fn(ctx context.Context, term *election.Term) error {
	s.terms <- term
	<-ctx.Done()
	s.cancelled <- cancellation{at: s.clk.Now(), validUntil: term.ValidUntil(), cause: context.Cause(ctx)}
	<-s.release
	return ctx.Err()
}

// startRun runs e.Run(fn) until the test ends; the error comes on the channel returned.
func startRun(t *testing.T, e *election.Election, fn func(context.Context, *election.Term) error) (stop func(), result <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc, finished := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(finished)
		errc <- e.Run(ctx, fn)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return cancel, errc
}

// receive returns the next value of ch, within ten seconds.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing within 10s", what)
	}
	panic("unreachable")
}

// failExtends makes the servers fail every extension (single and batched), or stop failing.
func failExtends(servers []*quorumtest.Server, on bool) {
	for _, s := range servers {
		s.FailScript("extend", on)
		s.FailScript("extend_many", on)
	}
}

// holds checks, five times over about 50 ms, that the nodes still show token as the leader's.
func holds(ctx context.Context, watcher *election.Election, token fencing.Token) error {
	for range 5 {
		ldr, err := watcher.Leader(ctx)
		if err != nil || ldr.Token != token {
			return fmt.Errorf("Leader = %+v, %v; want the term with token %d, whose function still runs", ldr, err, token)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// TestRunCancelsBeforeValidityEndsAndReleasesAfterFn: when a term's extensions fail, Run
// cancels its function's context at Done, while the term's validity still lies ahead; while the
// function goes on (ignoring its context), the term is not released; once it returns, the term
// is released and Run campaigns again.
func TestRunCancelsBeforeValidityEndsAndReleasesAfterFn(t *testing.T) {
	c := newCluster(t, 3)
	e, clk := fakeCandidate(t, c, "host-a", election.Options{})
	watcher := candidate(t, c, "watcher", quorum.Options{})
	s := newStubborn(clk)
	stop, result := startRun(t, e, s.fn)
	t.Cleanup(s.letGo) // before Run's clean-up, which waits for Run, when the test fails early
	term := receive(t, s.terms, "the first term")
	failExtends(c.Servers[:2], true)
	waitTermIdle(t, clk, term)
	clk.SetTime(term.ValidUntil().Add(-fakeMargin))
	got := receive(t, s.cancelled, "fn's context cancelled at Done")
	if !got.at.Before(got.validUntil) || !errors.Is(got.cause, election.ErrTermLost) {
		t.Fatalf("fn's context was cancelled at %v with the term valid until %v, cause %v; want before, with ErrTermLost", got.at, got.validUntil, got.cause)
	}
	if err := holds(context.Background(), watcher, term.Token()); err != nil {
		t.Fatalf("after the term's Done: %v", err)
	}
	clk.Step(fakeMargin - time.Millisecond) // StopTimeout (= StopMargin) not yet over
	if err := holds(context.Background(), watcher, term.Token()); err != nil {
		t.Fatalf("just before StopTimeout: %v", err)
	}
	failExtends(c.Servers[:2], false)
	s.letGo()
	next := receive(t, s.terms, "the term after")
	if next.Token() <= term.Token() {
		t.Errorf("the next term's token %d is not above %d", next.Token(), term.Token())
	}
	stop()
	if err := receive(t, result, "Run's end"); !errors.Is(err, context.Canceled) || errors.Is(err, election.ErrStopTimeout) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}

// TestRunGivesTheTermUpWhenFnOverruns: when Run's context ends and its function does not return
// within StopTimeout, the term ends without being released or extended any more; once the
// function returns, Run releases it and returns ErrStopTimeout.
func TestRunGivesTheTermUpWhenFnOverruns(t *testing.T) {
	c := newCluster(t, 3)
	e, clk := fakeCandidate(t, c, "host-a", election.Options{})
	watcher := candidate(t, c, "watcher", quorum.Options{})
	s := newStubborn(clk)
	stop, result := startRun(t, e, s.fn)
	t.Cleanup(s.letGo) // before Run's clean-up, which waits for Run, when the test fails early
	term := receive(t, s.terms, "the first term")
	waitTermIdle(t, clk, term)
	stop()
	receive(t, s.cancelled, "fn's context cancelled as Run's ended")
	if err := holds(context.Background(), watcher, term.Token()); err != nil {
		t.Fatalf("while fn runs after Run's context ended: %v", err)
	}
	clk.Step(fakeMargin) // StopTimeout
	waitClosed(t, term.Done(), "the term's Done after StopTimeout")
	if !errors.Is(term.Err(), election.ErrStopTimeout) {
		t.Errorf("the term's Err = %v, want ErrStopTimeout", term.Err())
	}
	until := term.ValidUntil()
	clk.Step(10 * time.Second / 3) // an extension would be due
	if err := holds(context.Background(), watcher, term.Token()); err != nil {
		t.Fatalf("after StopTimeout, while fn still runs: %v", err)
	}
	if !term.ValidUntil().Equal(until) {
		t.Errorf("the term was extended after it was given up: validity %v, was %v", term.ValidUntil(), until)
	}
	s.letGo()
	if err := receive(t, result, "Run's end"); !errors.Is(err, election.ErrStopTimeout) || !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want ErrStopTimeout and context.Canceled", err)
	}
	if ldr, err := watcher.Leader(context.Background()); !errors.Is(err, election.ErrNoLeader) {
		t.Errorf("Leader once fn returned = %+v, %v; want ErrNoLeader: released", ldr, err)
	}
}

// recorder records Run's callbacks and its function's calls, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// options returns Options for the candidate id whose callbacks r records.
func (r *recorder) options(id string) election.Options {
	return election.Options{ID: id,
		OnStarted: func(term *election.Term) { r.add("started %d", term.Token()) },
		OnStopped: func(term *election.Term, err error) { r.add("stopped %d: %v", term.Token(), err) }}
}

// TestRunNeverStopsATermThatDidNotBegin: a Run that never wins a term — its context ends while
// another candidate leads, or the deployment needs heal — calls neither its function nor
// OnStopped.
func TestRunNeverStopsATermThatDidNotBegin(t *testing.T) {
	c := newCluster(t, 3)
	ta := mustCampaign(t, candidate(t, c, "host-a", quorum.Options{}))
	fresh := quorumtest.NewCluster(t, 3) // new nodes, never brought into service
	for _, tt := range []struct {
		name string
		l    *quorum.Locker
		want error
	}{
		{"ctx ends while another leads", c.Locker(t, patient(quorum.Options{})), context.DeadlineExceeded},
		{"the deployment needs heal", fresh.Locker(t, patient(quorum.Options{})), quorum.ErrNeedsHeal},
	} {
		var r recorder
		e := election.New(tt.l, "scheduler", r.options("host-b"))
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := e.Run(ctx, func(_ context.Context, term *election.Term) error { r.add("fn %d", term.Token()); return nil })
		cancel()
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Run = %v, want %v", tt.name, err, tt.want)
		}
		if events := r.list(); len(events) > 0 {
			t.Errorf("%s: %v while %d led; want no callback and no call of fn", tt.name, events, ta.Token())
		}
	}
}

// TestRunStartsAndStopsEachTermInOrder: a term lost while its function runs cancels the
// function (cause: the lost lease), is stopped after it returned, and Run campaigns again;
// OnStarted and OnStopped come in pairs, one per term, around each call of the function.
func TestRunStartsAndStopsEachTermInOrder(t *testing.T) {
	c := newCluster(t, 3)
	var r recorder
	e, clk := fakeCandidate(t, c, "host-a", r.options("host-a"))
	terms := make(chan *election.Term, 2)
	stop, result := startRun(t, e, func(ctx context.Context, term *election.Term) error {
		r.add("fn %d", term.Token())
		terms <- term
		<-ctx.Done()
		r.add("fn %d returns: %v", term.Token(), context.Cause(ctx))
		return ctx.Err()
	})
	first := receive(t, terms, "the first term")
	waitKeys(t, c, 3)
	c.Servers[0].Del(lockKey) // lost on a majority: the next extension is refused
	c.Servers[1].Del(lockKey)
	waitTermIdle(t, clk, first)
	clk.Step(10 * time.Second / 3)
	second := receive(t, terms, "the term after the lost one")
	stop()
	if err := receive(t, result, "Run's end"); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	want := []string{
		fmt.Sprintf("started %d", first.Token()),
		fmt.Sprintf("fn %d", first.Token()),
		fmt.Sprintf("fn %d returns: %v", first.Token(), first.Err()),
		fmt.Sprintf("stopped %d: %v", first.Token(), context.Canceled),
		fmt.Sprintf("started %d", second.Token()),
		fmt.Sprintf("fn %d", second.Token()),
		fmt.Sprintf("fn %d returns: %v", second.Token(), context.Canceled),
		fmt.Sprintf("stopped %d: %v", second.Token(), context.Canceled),
	}
	if got := r.list(); !slices.Equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !errors.Is(first.Err(), quorum.ErrLeaseLost) || second.Token() <= first.Token() {
		t.Errorf("first term %d ended with %v, second %d; want the lease lost and a larger token", first.Token(), first.Err(), second.Token())
	}
}

// TestRunReturnsFnErrorAndResigns: a function that returns by itself while its term holds ends
// Run with its error, after the term was resigned and OnStopped told.
func TestRunReturnsFnErrorAndResigns(t *testing.T) {
	c := newCluster(t, 3)
	var r recorder
	e := election.New(c.Locker(t, patient(quorum.Options{})), "scheduler", r.options("host-a"))
	boom := errors.New("boom")
	var term *election.Term
	err := e.Run(context.Background(), func(_ context.Context, tm *election.Term) error { term = tm; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want fn's error", err)
	}
	if !errors.Is(term.Err(), election.ErrResigned) {
		t.Errorf("the term's Err = %v, want ErrResigned", term.Err())
	}
	if ldr, err := e.Leader(context.Background()); !errors.Is(err, election.ErrNoLeader) {
		t.Errorf("Leader after Run = %+v, %v; want ErrNoLeader", ldr, err)
	}
	if want := []string{fmt.Sprintf("started %d", term.Token()), fmt.Sprintf("stopped %d: boom", term.Token())}; !slices.Equal(r.list(), want) {
		t.Errorf("events %v, want %v", r.list(), want)
	}
}
