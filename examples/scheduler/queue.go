package main

import (
	"sync"

	"github.com/quorumlock/quorumlock/fencing"
)

// queue is the store the leader writes to: the jobs it scheduled, behind a fence that refuses
// a token older than one it has accepted. It is safe for concurrent use.
type queue struct {
	fence *fencing.Fence

	mu      sync.Mutex
	jobs    []job
	refused int
}

// job is one scheduled job.
type job struct {
	n     int
	by    string
	token fencing.Token
}

func newQueue() *queue { return &queue{fence: fencing.NewFence(resource)} }

// schedule adds the next job, by the leader id with token, if the fence admits token; it
// returns the job's number.
func (q *queue) schedule(id string, token fencing.Token) (int, error) {
	var n int
	err := q.fence.Do(token, func() error {
		q.mu.Lock()
		defer q.mu.Unlock()
		n = len(q.jobs) + 1
		q.jobs = append(q.jobs, job{n: n, by: id, token: token})
		return nil
	})
	if err != nil {
		q.mu.Lock()
		q.refused++
		q.mu.Unlock()
	}
	return n, err
}

// contents returns the jobs and the count of refused writes.
func (q *queue) contents() ([]job, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]job(nil), q.jobs...), q.refused
}
