package faultnet

import "fmt"

// Cut says what a partition between one client and a node loses.
type Cut int

const (
	// CutRequests loses the client's requests: they fail as with SetFail.
	CutRequests Cut = 1 << iota
	// CutReplies loses the node's replies to the client: they are lost as with SetLoseReplies.
	CutReplies
	// CutBoth loses both: requests fail, and replies to requests sent before the cut are lost.
	CutBoth = CutRequests | CutReplies
)

// String returns the name of the cut.
func (c Cut) String() string {
	switch c {
	case CutRequests:
		return "requests"
	case CutReplies:
		return "replies"
	case CutBoth:
		return "both"
	}
	return fmt.Sprintf("Cut(%d)", int(c))
}

// Cut starts a partition of kind c between client and the node; it acts on that client's
// connections only, open or dialled later. Partitions nest: each kind stays in force until as
// many Uncuts of it as Cuts. It panics on a kind that is not a Cut constant.
func (n *Node) Cut(client int, c Cut) { n.cut(client, c, 1) }

// Uncut ends one partition started by Cut(client, c). It panics if no such partition is in
// force.
func (n *Node) Uncut(client int, c Cut) { n.cut(client, c, -1) }

func (n *Node) cut(client int, c Cut, step int) {
	if c&^CutBoth != 0 || c == 0 {
		panic(fmt.Sprintf("faultnet: %v is not a Cut", c))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if step < 0 && (c&CutRequests != 0 && n.cutReq[client] == 0 || c&CutReplies != 0 && n.cutRepl[client] == 0) {
		panic(fmt.Sprintf("faultnet: Uncut(%d, %v) without a Cut", client, c))
	}
	if c&CutRequests != 0 {
		n.cutReq[client] += step
	}
	if c&CutReplies != 0 {
		n.cutRepl[client] += step
	}
}
