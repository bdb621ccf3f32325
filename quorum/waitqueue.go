package quorum

import (
	"context"
	"sync"
)

// waitQueues holds, per name, the turn that callers of Acquire on one Locker pass from one to
// the next: only the caller holding it contends with other clients, so a release wakes one
// attempt per Locker, not one per waiting goroutine. A name's entry lives while callers wait.
type waitQueues struct {
	mu sync.Mutex
	m  map[string]*waitQueue
}

// waitQueue is one name's turn: a value in turn means nobody holds it.
type waitQueue struct {
	turn chan struct{}
	refs int
}

// join registers a caller waiting for name; leave must follow.
func (qs *waitQueues) join(name string) *waitQueue {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if qs.m == nil {
		qs.m = make(map[string]*waitQueue)
	}
	q := qs.m[name]
	if q == nil {
		q = &waitQueue{turn: make(chan struct{}, 1)}
		q.turn <- struct{}{}
		qs.m[name] = q
	}
	q.refs++
	return q
}

// leave undoes join, dropping the name's entry when nobody waits for it any more.
func (qs *waitQueues) leave(name string, q *waitQueue) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if q.refs--; q.refs == 0 {
		delete(qs.m, name)
	}
}

// take waits for the turn, or returns ctx.Err().
func (q *waitQueue) take(ctx context.Context) error {
	select {
	case <-q.turn:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// give passes the turn on.
func (q *waitQueue) give() { q.turn <- struct{}{} }
