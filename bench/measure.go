package bench

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds, from 1 µs to one minute, to 3 significant digits.
const (
	histMin    = 1
	histMax    = int64(time.Minute / time.Microsecond)
	histDigits = 3
)

// workload is one library's work in one run of a scenario.
type workload struct {
	sc   Scenario
	cs   []client // sc.clients() of them
	base string   // every lock name of the run starts with this
	// attempts counts the attempts and grants of every client of ours in the run; nil for
	// redsync.
	attempts *attemptCounter
	// open opens one more client, as those of cs (Failover: to replace a crashed candidate).
	open func(ctx context.Context) (client, error)
	// freeAt returns when the lock name will be free on a majority of the nodes, once its
	// holder stopped extending it: when its key expires on the majority-th node (Failover).
	freeAt func(ctx context.Context, name string) (time.Time, error)
}

// client returns the client of worker id.
func (w workload) client(id int) client { return w.cs[id%len(w.cs)] }

// window is what one stretch of a workload observed.
type window struct {
	ops, grants, errs atomic.Int64 // measured ops
	elapsed           time.Duration
	// unmeasured counts the ops run only to keep the contention up (Waiting): with the measured
	// ones, they used the CPU and allocations sampled around the window.
	unmeasured atomic.Int64
	// span, when positive (Waiting), is the measured window, and spanOps and spanGrants the
	// measured ops that ended within it: the rates count these over span.
	span                time.Duration
	spanOps, spanGrants int64
	// pastExpiry (Failover) holds the part of each failover after the crashed leader's keys
	// expired, in microseconds.
	pastExpiry *hdrhistogram.Histogram

	mu       sync.Mutex
	hist     *hdrhistogram.Histogram
	firstErr error
}

func newWindow() *window {
	return &window{hist: newHistogram()}
}

func (w *window) record(d time.Duration, granted bool, err error) {
	w.ops.Add(1)
	if granted {
		w.grants.Add(1)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.hist.RecordValue(max(int64(d/time.Microsecond), histMin)) // above histMax: dropped
	if err != nil {
		w.errs.Add(1)
		if w.firstErr == nil {
			w.firstErr = err
		}
	}
}

// percentiles returns the 50th, 99th and 99.9th percentiles of h, recorded in microseconds.
func percentiles(h *hdrhistogram.Histogram) (p50, p99, p999 time.Duration) {
	at := func(q float64) time.Duration {
		if h.TotalCount() == 0 {
			return 0
		}
		return time.Duration(h.ValueAtQuantile(q)) * time.Microsecond
	}
	return at(50), at(99), at(99.9)
}

// drive runs w with sc.Workers goroutines for d, or until maxOps ops were started (0: no
// limit), or until ctx ends, and waits for every goroutine. phase goes into the lock names.
// In a Waiting workload, the ops still waiting at the end meet fewer and fewer contenders:
// this is right for a warm-up, and driveWaiting measures one.
func drive(ctx context.Context, w workload, phase string, d time.Duration, maxOps int64) *window {
	win := newWindow()
	var started atomic.Int64
	start := time.Now()
	until := start.Add(d)
	var wg sync.WaitGroup
	for id := range w.sc.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names := newNamer(w, phase, id)
			for ctx.Err() == nil && time.Now().Before(until) {
				if maxOps > 0 && started.Add(1) > maxOps {
					return
				}
				name := names.next()
				t0 := time.Now()
				granted, err := w.op(ctx, id, name)
				win.record(time.Since(t0), granted, err)
			}
		}()
	}
	wg.Wait()
	win.elapsed = time.Since(start)
	return win
}

// op runs one operation of the workload for worker id.
func (w workload) op(ctx context.Context, id int, name string) (bool, error) {
	switch w.sc.Kind {
	case Contended:
		return w.client(id).try(ctx, name)
	case Waiting:
		_, granted, err := w.client(id).wait(ctx, name, w.sc.Hold)
		return granted, err
	}
	err := w.client(id).pair(ctx, name)
	return err == nil, err
}

// namer hands one worker its lock names: a new name per op, its own name, or the shared one.
type namer struct {
	fixed string // non-empty: the name of every op
	buf   []byte
	n     int
	seq   int64
}

func newNamer(w workload, phase string, id int) *namer {
	switch {
	case w.sc.Kind == Contended || w.sc.Kind == Waiting:
		return &namer{fixed: sharedName(w)}
	case w.sc.Naming == OwnName:
		return &namer{fixed: w.base + "." + phase + ".w" + strconv.Itoa(id)}
	}
	buf := []byte(w.base + "." + phase + ".w" + strconv.Itoa(id) + ".")
	return &namer{buf: buf, n: len(buf)}
}

func (n *namer) next() string {
	if n.fixed != "" {
		return n.fixed
	}
	n.seq++
	n.buf = strconv.AppendInt(n.buf[:n.n], n.seq, 10)
	return string(n.buf)
}

// sample is the state of the counters a run reads before and after its measured window.
type sample struct {
	cpu         time.Duration // this process
	mallocs     uint64        // this process
	server      time.Duration // summed over the nodes in use
	serverKnown bool
	// attempts and grants are the run's attemptCounter (zero for redsync): quorum attempts of
	// this run's clients so far, and those granted.
	attempts, grants int64
}

// takeSample reads the process's CPU and allocations, the attempts counted by ac (nil: none)
// and the nodes' CPU. clientFirst orders the reads so that reading the nodes stays outside the
// client's window.
func (r *runner) takeSample(ctx context.Context, live []int, ac *attemptCounter, clientFirst bool) (sample, error) {
	var s sample
	var err error
	readClient := func() error {
		s.attempts, s.grants = ac.read()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.mallocs = ms.Mallocs
		s.cpu, err = processCPU()
		return err
	}
	if clientFirst {
		if err := readClient(); err != nil {
			return s, err
		}
	}
	if s.server, s.serverKnown, err = r.admin.totalServerCPU(ctx, live); err != nil {
		return s, err
	}
	if !clientFirst {
		err = readClient()
	}
	return s, err
}

// sharedName is the one lock name of a Contended, Waiting or election workload.
func sharedName(w workload) string { return w.base + ".one" }

// result turns a measured window and the samples around it into a Result.
func result(lib string, round int, w *window, before, after sample, keysLeft int) Result {
	r := Result{Library: lib, Round: round, Ops: w.ops.Load(), Grants: w.grants.Load(),
		Errors: w.errs.Load(), Elapsed: w.elapsed, KeysLeft: keysLeft,
		ServerCPUKnown: before.serverKnown && after.serverKnown}
	if w.firstErr != nil {
		r.FirstError = w.firstErr.Error()
	}
	r.P50, r.P99, r.P999 = percentiles(w.hist)
	if w.pastExpiry != nil {
		r.PastExpiryP50, r.PastExpiryP99, _ = percentiles(w.pastExpiry)
	}
	ops, grants := r.Ops, r.Grants
	if w.span > 0 {
		r.Elapsed, ops, grants = w.span, w.spanOps, w.spanGrants
	}
	if secs := r.Elapsed.Seconds(); secs > 0 {
		r.OpsPerSec = float64(ops) / secs
		r.GrantsPerSec = float64(grants) / secs
	}
	if r.Ops == 0 {
		r.ServerCPUKnown = false
		return r
	}
	all := r.Ops + w.unmeasured.Load() // every op run between the samples
	r.ClientCPUPerOp = (after.cpu - before.cpu) / time.Duration(all)
	r.AllocsPerOp = float64(after.mallocs-before.mallocs) / float64(all)
	r.AttemptsPerGrant = attemptsPerGrant(before, after)
	if r.ServerCPUKnown {
		r.ServerCPUPerOp = (after.server - before.server) / time.Duration(all)
	}
	return r
}
