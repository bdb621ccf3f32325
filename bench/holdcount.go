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

// batchCounter counts the auto-extender's batches on one node (its extend_many calls), from
// the Locker's events.
type batchCounter struct {
	calls, leases, errs atomic.Int64

	mu   sync.Mutex
	hist *hdrhistogram.Histogram // latency of the calls while measuring, in µs
}

func newLatencyHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// holdObserver counts the events of the Locker that Hold watches. Observe is cheap: atomics,
// and a mutex only for the first error of each kind.
type holdObserver struct {
	extendOK, extendFailed, lost, nodeErrs atomic.Int64
	batches                                sync.Map    // node name → *batchCounter
	measuring                              atomic.Bool // record batch latencies

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
		o.countBatch(e)
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

// countBatch counts an auto-extension batch on one node, or its failure.
func (o *holdObserver) countBatch(e quorum.Event) {
	if e.Op != "extend" || e.Batch == 0 && e.Err == nil {
		return
	}
	b := o.batch(e.Node)
	b.calls.Add(1)
	b.leases.Add(int64(e.Batch))
	if e.Err != nil {
		b.errs.Add(1)
		return
	}
	if o.measuring.Load() {
		b.mu.Lock()
		_ = b.hist.RecordValue(max(int64(e.Duration/time.Microsecond), histMin))
		b.mu.Unlock()
	}
}

// batch returns the counter of node.
func (o *holdObserver) batch(node string) *batchCounter {
	if b, ok := o.batches.Load(node); ok {
		return b.(*batchCounter)
	}
	b, _ := o.batches.LoadOrStore(node, &batchCounter{hist: newLatencyHist()})
	return b.(*batchCounter)
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
