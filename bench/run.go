package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

const (
	// opGrace is how long ops still running at the end of a run may take before their context
	// is cancelled (they then count as errors).
	opGrace = 10 * time.Second
	// bootstrapTimeout bounds the first grant on fresh nodes, which must heal them first.
	bootstrapTimeout = 30 * time.Second
	redsyncModule    = "github.com/go-redsync/redsync/v4"
)

// runner is the state of one Run.
type runner struct {
	cfg   Config
	admin *admin
	runID string // in every lock name of this Run, so runs on the same nodes never mix
}

// Run runs every scenario of cfg for both libraries, alternating, and returns the report.
// It stops at the first error that is not a failed operation (a node that cannot be reached
// for INFO, SCAN or Dial) and returns it, with the report of the scenarios completed so far. When ctx ends it returns an
// error wrapping ctx.Err().
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	adm, err := dialAdmin(cfg.Nodes)
	if err != nil {
		return Report{}, err
	}
	defer adm.close()
	r := &runner{cfg: cfg, admin: adm, runID: randomHex(4)}
	rep, err := r.newReport(ctx)
	if err != nil {
		return rep, err
	}
	if err := r.bootstrap(ctx); err != nil {
		return rep, err
	}
	start := time.Now()
	err = r.scenarios(ctx, &rep)
	rep.Elapsed = time.Since(start)
	return rep, err
}

// scenarios runs every scenario and appends its report to rep.
func (r *runner) scenarios(ctx context.Context, rep *Report) error {
	total := 0
	for _, sc := range r.cfg.Scenarios {
		if r.skip(sc) == "" {
			total += len(libraries(sc)) * r.cfg.Rounds
		}
	}
	done := 0
	for i, sc := range r.cfg.Scenarios {
		sr, err := r.scenario(ctx, i, sc, &done, total)
		if err != nil {
			return err // the report keeps only complete scenarios
		}
		rep.Scenarios = append(rep.Scenarios, sr)
	}
	r.progress(Progress{Done: done, Total: total})
	return nil
}

func (r *runner) newReport(ctx context.Context) (Report, error) {
	rep := Report{Started: time.Now(), Backend: r.cfg.Backend, InProcess: r.cfg.InProcess,
		Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(),
		Peer: "redsync " + moduleVersion(redsyncModule), Rounds: r.cfg.Rounds,
		Measure: r.cfg.Duration, MaxOps: r.cfg.MaxOps}
	for i := range r.cfg.Nodes {
		v, err := r.admin.version(ctx, i)
		if err != nil {
			return rep, err
		}
		rep.Servers = append(rep.Servers, v)
	}
	return rep, nil
}

// libraries returns the libraries sc runs, in the order they alternate within a round: ours
// first.
func libraries(sc Scenario) []string {
	libs := []string{Ours}
	if sc.hasPeer() {
		libs = append(libs, Redsync)
	}
	if sc.Polling {
		libs = append(libs, OursPolling)
	}
	return libs
}

// scenario runs one scenario: rounds × (ours, peer[, ours polling]).
func (r *runner) scenario(ctx context.Context, i int, sc Scenario, done *int, total int) (ScenarioReport, error) {
	sr := ScenarioReport{Scenario: sc, Skipped: r.skip(sc)}
	switch {
	case !sc.hasPeer():
	case sc.PeerFailFast:
		sr.PeerLabel = Redsync + " (FailFast)"
	default:
		sr.PeerLabel = Redsync
	}
	if sr.Skipped != "" {
		return sr, nil
	}
	results := map[string][]Result{}
	for round := 1; round <= r.cfg.Rounds; round++ {
		for _, lib := range libraries(sc) {
			r.progress(Progress{Done: *done, Total: total, Scenario: sc.Name, Library: lib, Round: round})
			res, err := r.runOnce(ctx, i, sc, lib, round)
			if err != nil {
				return sr, fmt.Errorf("bench: scenario %s, %s, round %d: %w", sc.Name, lib, round, err)
			}
			*done++
			results[lib] = append(results[lib], res)
		}
	}
	sr.Ours = summarize(results[Ours])
	if sc.hasPeer() {
		sr.Peer = summarize(results[Redsync])
		sr.Ratios = ratios(sc.Kind, sr.Ours.Median, sr.Peer.Median)
	}
	if sc.Polling {
		p := summarize(results[OursPolling])
		sr.Polling = &p
		sr.PollingRatios = ratios(sc.Kind, sr.Ours.Median, p.Median)
	}
	sr.Targets = sr.evaluate()
	return sr, nil
}

func (r *runner) progress(p Progress) {
	if r.cfg.Progress != nil {
		r.cfg.Progress(p)
	}
}

// skip says why sc cannot run on the nodes given, or "".
func (r *runner) skip(sc Scenario) string {
	live := sc.Nodes
	if sc.DownNode {
		live--
	}
	switch {
	case live > len(r.cfg.Nodes):
		return fmt.Sprintf("needs %d nodes, %d given", live, len(r.cfg.Nodes))
	case sc.Kind == Failover && r.cfg.InProcess:
		return "needs keys that expire in real time; miniredis expires them only when told"
	}
	return ""
}

// bootstrap brings our prefix's nodes into service (a new deployment: package quorum refuses
// grants on nodes without lock state until an operator does so) and takes and releases one
// lock of ours on every node, before scenarios that leave a node out.
func (r *runner) bootstrap(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, bootstrapTimeout)
	defer cancel()
	l, err := quorum.Dial(ctx, r.cfg.Nodes, quorum.Options{KeyPrefix: r.prefix(Ours)})
	if err != nil {
		return fmt.Errorf("bench: bootstrap: %w", err)
	}
	if err := freshDeployment(ctx, r.admin, l, r.prefix(Ours)); err != nil {
		return errors.Join(err, l.Close())
	}
	le, err := l.Acquire(ctx, r.runID+".bootstrap")
	if err == nil {
		err = bootstrapRelease(ctx, le)
	}
	err = errors.Join(err, l.Close())
	if err != nil {
		return fmt.Errorf("bench: bootstrap: %w", err)
	}
	return r.admin.drop(ctx, r.pattern(Ours, r.runID+".bootstrap"))
}

// bootstrapRelease releases the bootstrap lease. A release that too few nodes answered in time
// (a loaded machine) is no failure: the nodes still run it, and the key expires within a TTL
// in any case.
func bootstrapRelease(ctx context.Context, le *quorum.Lease) error {
	if err := le.Release(ctx); err != nil && !errors.Is(err, quorum.ErrUnavailable) {
		return err
	}
	return nil
}

// isOurs reports whether lib is quorumlock, waiting by notification or by polling.
func isOurs(lib string) bool { return lib == Ours || lib == OursPolling }

// prefix returns the key prefix of lib.
func (r *runner) prefix(lib string) string {
	if isOurs(lib) {
		return r.cfg.KeyPrefix + "q:"
	}
	return r.cfg.KeyPrefix + "rs:"
}

// pattern matches every key lib writes for lock names that start with base.
func (r *runner) pattern(lib, base string) string {
	if isOurs(lib) {
		return r.prefix(Ours) + "{" + base + "*"
	}
	return r.prefix(Redsync) + base + "*"
}

// topology is the nodes of one run as the library sees them.
type topology struct {
	urls  []string // what the library dials
	live  []int    // indexes in Config.Nodes of the servers in use, for INFO cpu
	proxy *DelayProxy
}

func (t *topology) close() error {
	if t.proxy != nil {
		return t.proxy.Close()
	}
	return nil
}

// topologyFor builds sc's nodes: the first Nodes of Config.Nodes, node 0 behind a delaying
// proxy for SlowDelay, the last replaced by a closed port for DownNode.
func (r *runner) topologyFor(sc Scenario) (*topology, error) {
	t := &topology{}
	for i := range sc.Nodes {
		t.urls = append(t.urls, r.cfg.Nodes[i])
		t.live = append(t.live, i)
	}
	if sc.DownNode {
		down, err := closedPortURL()
		if err != nil {
			return nil, err
		}
		t.urls[len(t.urls)-1] = down
		t.live = t.live[:len(t.live)-1]
	}
	if sc.SlowDelay > 0 {
		u, err := url.Parse(t.urls[0])
		if err != nil {
			return nil, fmt.Errorf("bench: node URL %q: %w", t.urls[0], err)
		}
		if t.proxy, err = NewDelayProxy(u.Host, sc.SlowDelay); err != nil {
			return nil, err
		}
		u.Host = t.proxy.Addr()
		t.urls[0] = u.String()
	}
	return t, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// moduleVersion returns the version of module path linked into this binary, or "(unknown)".
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "(unknown version)"
}

// tag returns the part of the lock names unique to one run of scenario i. The two runs of ours
// differ in it, so that keys one of them left are never counted as the other's.
func (r *runner) tag(i, round int, lib string) string {
	t := r.runID + ".s" + strconv.Itoa(i) + ".r" + strconv.Itoa(round)
	if lib == OursPolling {
		t += ".p"
	}
	return t
}
