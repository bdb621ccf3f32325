package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/fencing"
)

// summarize prints the terms, the queue and what the observer saw, checks them, and reports
// whether every check passed.
func summarize(out io.Writer, tl *timeline, q *queue) bool {
	terms, seen, marks := tl.snapshot()
	jobs, refused := q.contents()
	fmt.Fprintf(out, "\nsummary\n  terms, in the order they began:\n")
	for _, t := range terms {
		fmt.Fprintf(out, "    token %d  %-12s %6.2fs to %6.2fs  %3d jobs  %s\n", t.token, t.id,
			t.start.Sub(tl.start).Seconds(), t.end.Sub(tl.start).Seconds(), len(t.jobs), endedBy(t, marks))
	}
	fmt.Fprintf(out, "  jobs scheduled: %d, refused by the fence: %d\n", len(jobs), refused)
	fmt.Fprintf(out, "  the observer saw: %s\n", seenText(seen))
	ok := true
	check := func(what string, err error) {
		if err != nil {
			fmt.Fprintf(out, "check  %s: FAIL: %v\n", what, err)
			ok = false
			return
		}
		fmt.Fprintf(out, "check  %s: ok\n", what)
	}
	check("tokens strictly increase from term to term", checkTokens(terms))
	check("one leader at a time: each term began after the one before ended", checkOverlap(terms))
	check("every job is in the queue, by the leader of its term, tokens never decreasing", checkQueue(terms, jobs))
	check("a handover after the leader left, a takeover after the crash", checkStory(terms, marks))
	check("the observer saw the leaders in term order, a vacancy between each two", checkSeen(terms, seen))
	return ok
}

// endedBy says how a term ended, in the story's words where the story ended it.
func endedBy(t term, marks map[string]fencing.Token) string {
	for what, token := range marks {
		if token == t.token {
			return what
		}
	}
	if t.why == "" {
		return "not ended"
	}
	return t.why
}

// seenText prints the observer's reports.
func seenText(seen []election.Leader) string {
	var parts []string
	for _, ldr := range seen {
		if ldr.IsZero() {
			parts = append(parts, "nobody")
			continue
		}
		parts = append(parts, ldr.ID)
	}
	return strings.Join(parts, ", ")
}

func checkTokens(terms []term) error {
	if len(terms) < 3 {
		return fmt.Errorf("%d terms, want at least 3", len(terms))
	}
	for i := 1; i < len(terms); i++ {
		if terms[i].token <= terms[i-1].token {
			return fmt.Errorf("term %d has token %d after %d", i+1, terms[i].token, terms[i-1].token)
		}
	}
	return nil
}

func checkOverlap(terms []term) error {
	for i := 1; i < len(terms); i++ {
		if prev := terms[i-1]; prev.end.IsZero() || terms[i].start.Before(prev.end) {
			return fmt.Errorf("%s's term %d began before %s's term %d ended", terms[i].id, terms[i].token, prev.id, prev.token)
		}
	}
	return nil
}

func checkQueue(terms []term, jobs []job) error {
	by := map[int]term{}
	scheduled := 0
	for _, t := range terms {
		for _, n := range t.jobs {
			by[n] = t
		}
		scheduled += len(t.jobs)
	}
	if scheduled != len(jobs) || len(jobs) == 0 {
		return fmt.Errorf("%d jobs in the queue, the leaders scheduled %d", len(jobs), scheduled)
	}
	var last fencing.Token
	for _, j := range jobs {
		if t := by[j.n]; t.id != j.by || t.token != j.token || j.token < last {
			return fmt.Errorf("job %d by %s with token %d (the last before: %d); its term: %s with %d", j.n, j.by, j.token, last, t.id, t.token)
		}
		last = j.token
	}
	return nil
}

func checkStory(terms []term, marks map[string]fencing.Token) error {
	var errs []error
	for _, what := range []string{"left", "crashed"} {
		token, ok := marks[what]
		if !ok {
			errs = append(errs, fmt.Errorf("the story did not get past %q", what))
			continue
		}
		if terms[len(terms)-1].token <= token {
			errs = append(errs, fmt.Errorf("no term after the one that %s", what))
		}
	}
	return errors.Join(errs...)
}

func checkSeen(terms []term, seen []election.Leader) error {
	leaders := map[fencing.Token]string{}
	for _, t := range terms {
		leaders[t.token] = t.id
	}
	var last election.Leader
	for i, ldr := range seen {
		switch {
		case ldr.IsZero():
		// A token that is no term at all is an attempt that held a majority for a moment and
		// was withdrawn (election.Leader says so); it must still come in order.
		case leaders[ldr.Token] != "" && leaders[ldr.Token] != ldr.ID:
			return fmt.Errorf("report %d: %s with token %d, which is a term of %s", i+1, ldr.ID, ldr.Token, leaders[ldr.Token])
		case !last.IsZero() || i > 0 && ldr.Token <= maxToken(seen[:i]):
			return fmt.Errorf("report %d: %s with token %d right after %+v (reports before: %s)", i+1, ldr.ID, ldr.Token, last, seenText(seen[:i]))
		}
		last = ldr
	}
	if len(seen) < 3 {
		return fmt.Errorf("%d reports, want at least a leader, a vacancy and the next", len(seen))
	}
	return nil
}

// maxToken returns the largest token in seen.
func maxToken(seen []election.Leader) fencing.Token {
	var m fencing.Token
	for _, ldr := range seen {
		m = max(m, ldr.Token)
	}
	return m
}
