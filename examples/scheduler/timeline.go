package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/fencing"
)

// timeline prints what happens, with the time since the start, and keeps the terms and what the
// observer saw for the checks at the end. It is safe for concurrent use.
type timeline struct {
	out   io.Writer
	start time.Time

	mu    sync.Mutex
	terms []*term                  // in the order they began
	seen  []election.Leader        // what the observer reported, in order
	marks map[string]fencing.Token // story events: the token of the term that ended by them
}

// term is one term of leadership as its leader lived it.
type term struct {
	id         string
	token      fencing.Token
	start, end time.Time // end is zero while it lasts
	jobs       []int
	why        string // how it ended
}

func newTimeline(out io.Writer) *timeline {
	return &timeline{out: out, start: time.Now(), marks: map[string]fencing.Token{}}
}

// logf prints one line of the timeline.
func (tl *timeline) logf(who, format string, args ...any) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	fmt.Fprintf(tl.out, "%6.2fs  %-12s  %s\n", time.Since(tl.start).Seconds(), who, fmt.Sprintf(format, args...))
}

// began records the start of a term.
func (tl *timeline) began(id string, token fencing.Token) *term {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	t := &term{id: id, token: token, start: time.Now()}
	tl.terms = append(tl.terms, t)
	return t
}

// scheduled records a job of t.
func (tl *timeline) scheduled(t *term, job int) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	t.jobs = append(t.jobs, job)
}

// ended records the end of t.
func (tl *timeline) ended(t *term, why string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	t.end, t.why = time.Now(), why
}

// observed records what the observer reported.
func (tl *timeline) observed(ldr election.Leader) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.seen = append(tl.seen, ldr)
}

// mark records that the story event what ended the term with token.
func (tl *timeline) mark(what string, token fencing.Token) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.marks[what] = token
}

// current returns a copy of the term that lasts now, if one does.
func (tl *timeline) current() (term, bool) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if n := len(tl.terms); n > 0 && tl.terms[n-1].end.IsZero() {
		return *tl.terms[n-1], true
	}
	return term{}, false
}

// snapshot returns copies of the terms and of what the observer saw.
func (tl *timeline) snapshot() ([]term, []election.Leader, map[string]fencing.Token) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	terms := make([]term, len(tl.terms))
	for i, t := range tl.terms {
		terms[i] = *t
	}
	marks := make(map[string]fencing.Token, len(tl.marks))
	for k, v := range tl.marks {
		marks[k] = v
	}
	return terms, append([]election.Leader(nil), tl.seen...), marks
}

// awaitLeader waits up to timeout for a term with a token above after, and returns it.
func (tl *timeline) awaitLeader(ctx context.Context, timeout time.Duration, what string, after fencing.Token) (term, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if t, ok := tl.current(); ok && t.token > after {
			return t, nil
		}
		select {
		case <-ctx.Done():
			return term{}, fmt.Errorf("no %s within %v: %w", what, timeout, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}
