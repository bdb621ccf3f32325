package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/semaphore"
)

// export is one export as the history records it.
type export struct {
	worker    int
	slot      string
	token     fencing.Token
	start     time.Time // when its worker got the permit
	end       time.Time // when it finished, or its permit's validity ended if that came first
	stalled   bool      // worker 1's stalled export, from its start
	refused   bool      // the store refused its write as stale
	err       error     // its write failed otherwise
	permit    *semaphore.Permit
	overtaken bool // another worker got its slot while it was stalled
}

// write is a write the store accepted.
type write struct {
	token   fencing.Token
	version uint64 // the key's version after it: the order of the store's writes
}

// history prints the timeline and keeps what the checks need. It is safe for concurrent use.
type history struct {
	out     io.Writer
	permits int
	start   time.Time
	stalled chan struct{} // closed once the stalled export has ended

	mu      sync.Mutex
	exports []*export
	writes  map[string][]write // slot name → its accepted writes
}

func newHistory(out io.Writer, permits int) *history {
	return &history{out: out, permits: permits, start: time.Now(), stalled: make(chan struct{}), writes: map[string][]write{}}
}

// logf prints one line of the timeline.
func (h *history) logf(who, format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.printLocked(who, format, args...)
}

func (h *history) printLocked(who, format string, args ...any) {
	fmt.Fprintf(h.out, "%6.2fs  %-9s %s\n", time.Since(h.start).Seconds(), who, fmt.Sprintf(format, args...))
}

// began records that worker got permit p and started an export.
func (h *history) began(worker int, p *semaphore.Permit) *export {
	e := &export{worker: worker, slot: p.Name(), token: p.Token(), start: time.Now(), permit: p}
	h.mu.Lock()
	defer h.mu.Unlock()
	note := ""
	running := 1
	for _, o := range h.exports {
		if !o.end.IsZero() {
			continue
		}
		if o.permit.Err() == nil {
			running++
		} else if o.slot == e.slot && o.stalled && !o.overtaken {
			o.overtaken = true
			note = fmt.Sprintf("  << takes over from worker %d, stalled past its permit (token %d)", o.worker, o.token)
		}
	}
	h.exports = append(h.exports, e)
	h.printLocked(fmt.Sprintf("worker %d", worker), "permit on slot %d, token %d: %d running%s", p.Slot(), p.Token(), running, note)
	return e
}

// ended records that export e finished; it ran until then, or until its permit's validity ran
// out if that came first.
func (h *history) ended(e *export, p *semaphore.Permit) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	e.end = now
	if v := p.ValidUntil(); v.Before(now) {
		e.end = v
	}
}

// accepted records a write the store accepted.
func (h *history) accepted(slot string, token fencing.Token, version uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writes[slot] = append(h.writes[slot], write{token: token, version: version})
}
