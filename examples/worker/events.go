//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

// Kinds of event a replica reports to the supervisor, one JSON object per line on its stdout.
const (
	kindStarted  = "started"  // PID
	kindAcquired = "acquired" // Token: a grant of the lock
	kindAccepted = "accepted" // Token, Batch: a ledger row was committed
	kindRefused  = "refused"  // Token, Batch, Fence, Detail: the guard refused a stale token
	kindLost     = "lost"     // Token, Detail: the lease can no longer be guaranteed
	kindError    = "error"    // Detail: anything else that went wrong
	// Added by the supervisor's reader, never sent by a replica:
	kindOutput = "output" // Detail: a line that is not an event
	kindExited = "exited" // the replica's stdout closed: it has exited
)

// event is one line of a replica's report.
type event struct {
	Replica int           `json:"replica"`
	Kind    string        `json:"kind"`
	PID     int           `json:"pid,omitempty"`
	Token   fencing.Token `json:"token,omitempty"`
	Fence   fencing.Token `json:"fence,omitempty"`
	Batch   int           `json:"batch,omitempty"`
	Detail  string        `json:"detail,omitempty"`

	at time.Time // when the supervisor received it
}

// newEmitter returns a function that writes events of replica n to w, one line each. If w is a
// pipe whose reader (the supervisor) is gone, writing to stdout kills the process with SIGPIPE,
// which is what a replica without its supervisor should do.
func newEmitter(w io.Writer, n int) func(event) {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return func(ev event) {
		ev.Replica = n
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(ev)
	}
}

// readEvents sends the events that replica n writes to r, then a kindExited event at the end of
// r. Lines that are not events are passed on as kindOutput.
func readEvents(r io.Reader, n int, events chan<- event) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Kind == "" {
			ev = event{Kind: kindOutput, Detail: sc.Text()}
		}
		ev.Replica = n
		events <- ev
	}
	events <- event{Replica: n, Kind: kindExited}
}
