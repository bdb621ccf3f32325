package proptest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

// NodeGrant is one node's grant of one proposal, as the proposing client heard it (counted or
// not). An exclusion violation cites the grants of both leases, so that the node that granted
// both, and when, can be read from the report.
type NodeGrant struct {
	Client int           `json:"client"`
	Node   string        `json:"node"`
	Token  fencing.Token `json:"token"`
	At     time.Duration `json:"at"` // when the reply was delivered
}

// grantLog collects the node grants of every client of a run, each with its time, which
// becomes an offset of the run's recorder only once the run is over (the recorder starts after
// the clients have been dialled).
type grantLog struct {
	mu     sync.Mutex
	grants []loggedGrant
}

type loggedGrant struct {
	NodeGrant
	at time.Time
}

func (g *grantLog) add(client int, node string, tok fencing.Token) {
	lg := loggedGrant{NodeGrant{Client: client, Node: node, Token: tok}, time.Now()}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants = append(g.grants, lg)
}

// history returns the grants with their times as offsets of rec.
func (g *grantLog) history(rec *recorder) []NodeGrant {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]NodeGrant, len(g.grants))
	for i, lg := range g.grants {
		out[i] = lg.NodeGrant
		out[i].At = rec.offset(lg.at)
	}
	return out
}

// grantedBy says which nodes granted tok, and when: "token T granted by node@at, ...".
func grantedBy(grants []NodeGrant, tok fencing.Token) string {
	var by []string
	for _, ng := range grants {
		if ng.Token == tok {
			by = append(by, fmt.Sprintf("%s@%v", ng.Node, ng.At.Round(time.Millisecond)))
		}
	}
	if len(by) == 0 {
		return fmt.Sprintf("token %d: no node grant recorded", tok)
	}
	return fmt.Sprintf("token %d granted by %s", tok, strings.Join(by, ", "))
}
