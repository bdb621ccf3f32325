package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/quorumlock/quorumlock/quorum"
)

// countingNode is a quorum.Node that counts its ExtendMany calls: the batches of the
// Locker's auto-extender on this node.
type countingNode struct {
	quorum.Node
	calls, leases, errs atomic.Int64
	measuring           atomic.Bool // record call latencies

	mu   sync.Mutex
	hist *hdrhistogram.Histogram // latency of the calls while measuring, in µs
}

func newCountingNode(n quorum.Node) *countingNode {
	return &countingNode{Node: n, hist: newLatencyHist()}
}

func newLatencyHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

func (n *countingNode) ExtendMany(ctx context.Context, req quorum.ExtendManyRequest) ([]bool, error) {
	t0 := time.Now()
	ok, err := n.Node.ExtendMany(ctx, req)
	d := time.Since(t0)
	n.calls.Add(1)
	n.leases.Add(int64(len(req.Locks)))
	if err != nil {
		n.errs.Add(1)
	}
	if n.measuring.Load() {
		n.mu.Lock()
		_ = n.hist.RecordValue(max(int64(d/time.Microsecond), histMin))
		n.mu.Unlock()
	}
	return ok, err
}

// holdObserver counts the events of the Locker that Hold watches. Observe is cheap: atomics,
// and a mutex only for the first error of each kind.
type holdObserver struct {
	extendOK, extendFailed, lost, nodeErrs atomic.Int64

	mu                           sync.Mutex
	firstExtend, firstLost, node error
}

func (o *holdObserver) Observe(e quorum.Event) {
	var first *error
	switch e.Kind {
	case quorum.EventExtend:
		if e.Err == nil {
			o.extendOK.Add(1)
			return
		}
		o.extendFailed.Add(1)
		first = &o.firstExtend
	case quorum.EventLeaseLost:
		o.lost.Add(1)
		first = &o.firstLost
	case quorum.EventNode:
		if e.Err == nil {
			return
		}
		o.nodeErrs.Add(1)
		first = &o.node
	default:
		return
	}
	o.mu.Lock()
	if *first == nil {
		*first = e.Err
	}
	o.mu.Unlock()
}

type extendCounts struct{ ok, failed int64 }

func (o *holdObserver) snapshot() extendCounts {
	return extendCounts{o.extendOK.Load(), o.extendFailed.Load()}
}

func (o *holdObserver) first(p *error) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if *p == nil {
		return ""
	}
	return (*p).Error()
}

func (o *holdObserver) firstExtendError() string { return o.first(&o.firstExtend) }
func (o *holdObserver) firstLostError() string   { return o.first(&o.firstLost) }
func (o *holdObserver) firstNodeError() string   { return o.first(&o.node) }

// info returns INFO section of node i, and false when the node does not support the section
// (miniredis).
func (a *admin) info(ctx context.Context, i int, section string) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	s, err := a.clients[i].Info(ctx, section).Result()
	if err != nil {
		if strings.Contains(err.Error(), "not supported") {
			return "", false, nil
		}
		return "", false, fmt.Errorf("bench: INFO %s on %s: %w", section, a.urls[i], err)
	}
	return s, true, nil
}
