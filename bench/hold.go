package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// Defaults for the zero fields of HoldConfig.
const (
	DefaultHoldLeases  = 100_000
	DefaultHoldFor     = time.Minute
	DefaultHoldTTL     = quorum.DefaultTTL
	DefaultHoldWorkers = 64
)

// holdSample is how often Hold samples the number of goroutines while it holds.
const holdSample = 100 * time.Millisecond

// HoldConfig configures Hold. The zero value of every field but Nodes means its default.
type HoldConfig struct {
	// Nodes are the URLs of independent Redis servers; the Locker uses all of them. Required.
	Nodes []string
	// Backend describes the nodes for the report; InProcess says they are miniredis servers in
	// this process (their work then counts as the client's). As in Config.
	Backend   string
	InProcess bool
	// Leases is how many distinct names are held at once. Default DefaultHoldLeases (100 000).
	Leases int
	// For is how long they are held, auto-extended, once all are acquired. Default
	// DefaultHoldFor (1 min).
	For time.Duration
	// TTL is the Locker's TTL; every other option but NodeTimeout is quorum's default
	// (ExtendInterval TTL/3).
	// Default DefaultHoldTTL (10 s).
	TTL time.Duration
	// NodeTimeout is the Locker's NodeTimeout. Default: quorum's (50 ms, or TTL/10 if smaller).
	// Slow nodes need more: miniredis runs every script in a new Lua interpreter, and takes
	// some 30 ms for a batch of a thousand extensions (several times that under -race).
	NodeTimeout time.Duration
	// Workers is how many goroutines acquire, and later release, the leases. Default
	// DefaultHoldWorkers (64).
	Workers int
	// KeyPrefix as in Config: keys go under KeyPrefix+"q:", and are deleted at the end.
	KeyPrefix string
	// Progress, when not nil, is called when a phase starts, about every 250 ms during it, and
	// once at the end (Phase ""), from the goroutine that called Hold.
	Progress func(HoldProgress)
}

// HoldProgress tells how far Hold is.
type HoldProgress struct {
	Phase       string // "acquire", "hold" or "release"; "" at the end
	Done, Total int    // leases acquired or released; whole seconds held in "hold"
}

func (c HoldConfig) withDefaults() HoldConfig {
	if c.Leases == 0 {
		c.Leases = DefaultHoldLeases
	}
	if c.For == 0 {
		c.For = DefaultHoldFor
	}
	if c.TTL == 0 {
		c.TTL = DefaultHoldTTL
	}
	if c.Workers == 0 {
		c.Workers = DefaultHoldWorkers
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	return c
}

func (c HoldConfig) validate() error {
	var errs []error
	if len(c.Nodes) == 0 {
		errs = append(errs, errors.New("bench: HoldConfig.Nodes is empty"))
	}
	if c.Leases < 1 {
		errs = append(errs, fmt.Errorf("bench: Leases is %d, want at least 1", c.Leases))
	}
	if c.For < 0 {
		errs = append(errs, fmt.Errorf("bench: For is %v, negative", c.For))
	}
	if c.NodeTimeout < 0 {
		errs = append(errs, fmt.Errorf("bench: NodeTimeout is %v, negative", c.NodeTimeout))
	}
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("bench: Workers is %d, want at least 1", c.Workers))
	}
	return errors.Join(errs...)
}

// holder is the state of one Hold.
type holder struct {
	cfg    HoldConfig
	admin  *admin
	prefix string
	runID  string
	obs    *holdObserver
	l      *quorum.Locker
	leases []*quorum.Lease // by index; nil where the acquisition failed
	all    []int           // every node index, for INFO
}

// Hold acquires cfg.Leases distinct names on cfg.Nodes with a pool of workers, auto-extends
// every lease (quorum's batched extender: one script call per node for up to a thousand
// leases), holds them for cfg.For, checks that every one is still held, releases them all, and
// reports what it cost. Leases lost or not acquired are reported, not returned as errors; the
// error is for nodes that cannot be reached for INFO, SCAN or DEL, invalid options, or ctx
// ending (the leases are released even then).
func Hold(ctx context.Context, cfg HoldConfig) (HoldReport, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return HoldReport{}, err
	}
	adm, err := dialAdmin(cfg.Nodes)
	if err != nil {
		return HoldReport{}, err
	}
	defer adm.close()
	h := &holder{cfg: cfg, admin: adm, prefix: cfg.KeyPrefix + "q:", runID: randomHex(4), obs: &holdObserver{}}
	for i := range cfg.Nodes {
		h.all = append(h.all, i)
	}
	rep, err := h.newReport(ctx)
	if err != nil {
		return rep, err
	}
	if err := h.open(ctx); err != nil {
		return rep, err
	}
	start := time.Now()
	err = h.run(ctx, &rep)
	err = errors.Join(err, h.finish(ctx, &rep))
	rep.Elapsed = time.Since(start)
	h.progress(HoldProgress{})
	return rep, err
}

func (h *holder) newReport(ctx context.Context) (HoldReport, error) {
	rep := HoldReport{Started: time.Now(), Backend: h.cfg.Backend, InProcess: h.cfg.InProcess,
		Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(),
		Nodes: len(h.cfg.Nodes), Leases: h.cfg.Leases, Hold: h.cfg.For, Workers: h.cfg.Workers}
	for i := range h.cfg.Nodes {
		v, err := h.admin.version(ctx, i)
		if err != nil {
			return rep, err
		}
		rep.Servers = append(rep.Servers, v)
	}
	return rep, nil
}

// open dials the Locker; its observer counts the auto-extender's batches per node.
func (h *holder) open(ctx context.Context) error {
	opts := quorum.Options{TTL: h.cfg.TTL, NodeTimeout: h.cfg.NodeTimeout, KeyPrefix: h.prefix, Observer: h.obs}
	l, err := quorum.Dial(ctx, h.cfg.Nodes, opts)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	h.l = l
	return nil
}

// run bootstraps, acquires, holds and checks. It leaves the releases to finish.
func (h *holder) run(ctx context.Context, rep *HoldReport) error {
	o := h.l.Options()
	rep.TTL, rep.ExtendInterval, rep.NodeTimeout = o.TTL, o.ExtendInterval, o.NodeTimeout
	if err := h.bootstrap(ctx); err != nil {
		return err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseHeap := ms.HeapAlloc
	baseRedis, redisKnown, err := h.admin.totalUsedMemory(ctx, h.all)
	if err != nil {
		return err
	}

	if err := h.acquire(ctx, rep); err != nil {
		return err
	}
	before, err := h.sample(ctx)
	if err != nil {
		return err
	}
	calls0 := h.callCounts()
	ext0 := h.obs.snapshot()
	rep.LostAcquiring = h.obs.lost.Load()
	h.measureCalls(true)
	start := time.Now()
	maxG, err := h.hold(ctx)
	rep.Held = time.Since(start)
	h.measureCalls(false)
	rep.MaxGoroutines = maxG
	if err != nil {
		return err
	}
	after, err := h.sample(ctx)
	if err != nil {
		return err
	}
	calls1 := h.callCounts()
	ext1 := h.obs.snapshot()
	h.check(rep)

	rep.ClientCPU = after.cpu - before.cpu
	if secs := rep.Held.Seconds(); secs > 0 {
		rep.ClientCores = rep.ClientCPU.Seconds() / secs
	}
	rep.ServerCPUKnown = before.serverKnown && after.serverKnown
	if rep.ServerCPUKnown {
		rep.ServerCPU = after.server - before.server
	}
	h.calls(rep, calls0, calls1)
	rep.Extensions = ext1.ok - ext0.ok
	rep.ExtensionFailures = ext1.failed - ext0.failed
	rep.FirstExtendError = h.obs.firstExtendError()

	runtime.ReadMemStats(&ms)
	rep.HeapInUse, rep.Sys, rep.Goroutines = ms.HeapInuse, ms.Sys, runtime.NumGoroutine()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	rep.HeapLive = ms.HeapAlloc
	if rep.Acquired > 0 {
		rep.HeapPerLease = (int64(ms.HeapAlloc) - int64(baseHeap)) / int64(rep.Acquired)
	}
	redis, known, err := h.admin.totalUsedMemory(ctx, h.all)
	if err != nil {
		return err
	}
	if rep.RedisMemoryKnown = redisKnown && known; rep.RedisMemoryKnown {
		rep.RedisMemory = redis - baseRedis
	}
	return nil
}

// bootstrap brings the prefix's nodes into service and takes and releases one lock before the
// workers start (as Run does).
func (h *holder) bootstrap(ctx context.Context) error {
	bctx, cancel := context.WithTimeout(ctx, bootstrapTimeout)
	defer cancel()
	if err := freshDeployment(bctx, h.admin, h.l, h.prefix); err != nil {
		return err
	}
	le, err := h.l.Acquire(bctx, h.runID+".bootstrap")
	if err == nil {
		err = bootstrapRelease(bctx, le)
	}
	if err != nil {
		return fmt.Errorf("bench: hold: bootstrap: %w", err)
	}
	return nil
}

// acquire takes every lease with the worker pool and starts its auto-extension.
func (h *holder) acquire(ctx context.Context, rep *HoldReport) error {
	h.leases = make([]*quorum.Lease, h.cfg.Leases)
	timeout := max(h.cfg.TTL, time.Second)
	var acquired, failed atomic.Int64
	var mu sync.Mutex
	var firstErr error
	cpu0, err := processCPU()
	if err != nil {
		return err
	}
	start := time.Now()
	h.forEach(ctx, "acquire", h.cfg.Leases, func(i int) {
		actx, cancel := context.WithTimeout(ctx, timeout)
		le, err := h.l.Acquire(actx, h.name(i))
		cancel()
		if err != nil {
			failed.Add(1)
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
			return
		}
		le.AutoExtend()
		h.leases[i] = le
		acquired.Add(1)
	})
	rep.AcquireTime = time.Since(start)
	cpu1, err := processCPU()
	if err != nil {
		return err
	}
	rep.AcquireCPU = cpu1 - cpu0
	rep.Acquired, rep.AcquireErrors = int(acquired.Load()), int(failed.Load())
	if firstErr != nil {
		rep.FirstAcquireError = firstErr.Error()
	}
	if secs := rep.AcquireTime.Seconds(); secs > 0 {
		rep.AcquireRate = float64(rep.Acquired) / secs
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bench: hold: interrupted while acquiring: %w", err)
	}
	return nil
}

func (h *holder) name(i int) string { return h.runID + ".h" + strconv.Itoa(i) }

// hold waits cfg.For, sampling the number of goroutines, and returns the highest seen.
func (h *holder) hold(ctx context.Context) (int, error) {
	end := time.NewTimer(h.cfg.For)
	defer end.Stop()
	tick := time.NewTicker(holdSample)
	defer tick.Stop()
	start := time.Now()
	total := int(h.cfg.For / time.Second)
	maxG := runtime.NumGoroutine()
	h.progress(HoldProgress{Phase: "hold", Total: total})
	for {
		select {
		case <-ctx.Done():
			return maxG, fmt.Errorf("bench: hold: interrupted while holding: %w", ctx.Err())
		case <-end.C:
			return max(maxG, runtime.NumGoroutine()), nil
		case <-tick.C:
			maxG = max(maxG, runtime.NumGoroutine())
			h.progress(HoldProgress{Phase: "hold", Done: int(time.Since(start) / time.Second), Total: total})
		}
	}
}

// check counts the leases acquired that are no longer held: ended, or past ValidUntil.
func (h *holder) check(rep *HoldReport) {
	now := h.l.Options().Clock.Now()
	var minLeft time.Duration
	first := true
	for _, le := range h.leases {
		if le == nil {
			continue
		}
		err := le.Err()
		left := le.ValidUntil().Sub(now)
		if err == nil && left <= 0 {
			err = fmt.Errorf("%q: valid until %v, %v ago, yet not ended", le.Name(), le.ValidUntil(), -left)
		}
		if err != nil {
			rep.Lost++
			if rep.FirstLost == "" {
				rep.FirstLost = err.Error()
			}
			continue
		}
		if first || left < minLeft {
			minLeft, first = left, false
		}
	}
	rep.MinValidityLeft = minLeft
	rep.LostEvents = h.obs.lost.Load()
	if rep.FirstLost == "" {
		rep.FirstLost = h.obs.firstLostError()
	}
}

// finish releases every lease, closes the Locker and its nodes, then counts and deletes the
// keys of this Hold.
func (h *holder) finish(ctx context.Context, rep *HoldReport) error {
	var errs []error
	if h.l != nil {
		h.release(ctx, rep)
		errs = append(errs, h.l.Close())
	}
	rep.NodeErrors = h.obs.nodeErrs.Load()
	rep.FirstNodeError = h.obs.firstNodeError()
	// Counting and deleting run even when ctx ended, so that a Ctrl-C leaves no keys behind.
	cctx := context.WithoutCancel(ctx)
	pattern := h.prefix + "{" + h.runID + "*"
	left, err := h.admin.count(cctx, pattern, func(k string) bool { return isLockKey(h.prefix, k) })
	rep.KeysLeft = left
	errs = append(errs, err, h.admin.drop(cctx, pattern))
	return errors.Join(errs...)
}

// release releases every lease acquired, with the worker pool.
func (h *holder) release(ctx context.Context, rep *HoldReport) {
	var released, failed atomic.Int64
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	// Release runs on a context of its own; it must run to the end even after ctx ended.
	h.forEach(context.WithoutCancel(ctx), "release", len(h.leases), func(i int) {
		le := h.leases[i]
		if le == nil {
			return
		}
		if err := le.Release(ctx); err != nil {
			failed.Add(1)
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
			return
		}
		released.Add(1)
	})
	rep.ReleaseTime = time.Since(start)
	rep.Released, rep.ReleaseErrors = int(released.Load()), int(failed.Load())
	if firstErr != nil {
		rep.FirstReleaseError = firstErr.Error()
	}
}

// forEach calls fn(i) for i in [0, n) from cfg.Workers goroutines, until done or ctx ends, and
// reports progress from the calling goroutine meanwhile.
func (h *holder) forEach(ctx context.Context, phase string, n int, fn func(i int)) {
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range min(h.cfg.Workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				fn(int(i))
				done.Add(1)
			}
		})
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	h.progress(HoldProgress{Phase: phase, Total: n})
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			return
		case <-tick.C:
			h.progress(HoldProgress{Phase: phase, Done: int(done.Load()), Total: n})
		}
	}
}

func (h *holder) progress(p HoldProgress) {
	if h.cfg.Progress != nil {
		h.cfg.Progress(p)
	}
}

// sample reads this process's CPU, then the nodes' CPU.
func (h *holder) sample(ctx context.Context) (sample, error) {
	var s sample
	var err error
	if s.cpu, err = processCPU(); err != nil {
		return s, err
	}
	s.server, s.serverKnown, err = h.admin.totalServerCPU(ctx, h.all)
	return s, err
}

// callCounts returns the batched extension calls, leases sent and failed calls of every node.
func (h *holder) callCounts() []callCount {
	names := h.l.Nodes()
	out := make([]callCount, len(names))
	for i, name := range names {
		b := h.obs.batch(name)
		out[i] = callCount{b.calls.Load(), b.leases.Load(), b.errs.Load()}
	}
	return out
}

func (h *holder) measureCalls(on bool) { h.obs.measuring.Store(on) }

// calls fills in the ExtendMany figures of the hold, between two callCounts.
func (h *holder) calls(rep *HoldReport, before, after []callCount) {
	var leases int64
	names := h.l.Nodes()
	rep.ExtendCallsPerNode = make([]int64, len(names))
	for i := range names {
		calls := after[i].calls - before[i].calls
		rep.ExtendCallsPerNode[i] = calls
		rep.ExtendCalls += calls
		rep.ExtendCallErrors += after[i].errs - before[i].errs
		leases += after[i].leases - before[i].leases
	}
	if rep.ExtendCalls > 0 {
		rep.LeasesPerCall = float64(leases) / float64(rep.ExtendCalls)
	}
	hist := newLatencyHist()
	for _, name := range names {
		b := h.obs.batch(name)
		b.mu.Lock()
		hist.Merge(b.hist)
		b.mu.Unlock()
	}
	if hist.TotalCount() > 0 {
		rep.ExtendCallP50, rep.ExtendCallP99, _ = percentiles(hist)
		rep.ExtendCallMax = time.Duration(hist.Max()) * time.Microsecond
	}
}

type callCount struct{ calls, leases, errs int64 }

// totalUsedMemory sums used_memory (INFO memory) over nodes; it is known only if every node
// reports it (miniredis does not).
func (a *admin) totalUsedMemory(ctx context.Context, nodes []int) (int64, bool, error) {
	var total int64
	for _, i := range nodes {
		info, known, err := a.info(ctx, i, "memory")
		if err != nil || !known {
			return 0, false, err
		}
		v, err := strconv.ParseInt(infoField(info, "used_memory"), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("bench: INFO memory on %s: field used_memory: %w", a.urls[i], err)
		}
		total += v
	}
	return total, true, nil
}
