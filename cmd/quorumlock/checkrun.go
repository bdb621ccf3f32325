package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/internal/mutants"

	"github.com/quorumlock/quorumlock/proptest"
)

// checkReport is what --report writes as JSON.
type checkReport struct {
	Campaign proptest.Report         `json:"campaign"`
	Mutants  []proptest.MutantResult `json:"mutants,omitempty"`
}

// campaign runs the campaign (and the mutants if asked), prints the summary and writes the report.
func campaign(ctx context.Context, cfg checkConfig, stdout, stderr io.Writer) int {
	c := cfg.campaign
	fmt.Fprintf(stderr, "quorumlock check: seed %d (rerun the same campaign with --seed %d)\n", c.Seed, c.Seed)
	var bar *checkBar
	if isTerminal(stderr) {
		bar = newCheckBar(stderr, c)
		c.Progress = bar.update
	}
	rep, err := proptest.Campaign(ctx, c)
	bar.clear()
	fmt.Fprint(stdout, rep)
	out := checkReport{Campaign: rep}
	if err == nil && cfg.mutants {
		out.Mutants, err = runMutants(ctx, cfg, stdout)
	}
	if werr := writeCheckReport(cfg.report, out); werr != nil {
		fmt.Fprintln(stderr, "quorumlock check:", werr)
		err = errors.Join(err, werr)
	}
	switch {
	case rep.Failure != nil:
		fmt.Fprintf(stderr, "quorumlock check: VIOLATION of %v; replay it: quorumlock check --replay %d\n", rep.Caught(), rep.Failure.Scenario.Seed)
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "quorumlock check:", err)
		return 3
	case survivors(out.Mutants) > 0:
		fmt.Fprintf(stderr, "quorumlock check: %d mutants survived\n", survivors(out.Mutants))
		return 1
	}
	return 0
}

// runMutants runs a campaign per mutant and prints what caught each.
func runMutants(ctx context.Context, cfg checkConfig, stdout io.Writer) ([]proptest.MutantResult, error) {
	c := cfg.campaign
	c.Runs, c.Duration = cfg.mutantRuns, 0
	fmt.Fprintf(stdout, "mutants (budget %d scenarios each):\n", c.Runs)
	return proptest.CatchMutants(ctx, c, mutants.All, func(r proptest.MutantResult) {
		fmt.Fprintf(stdout, "  %v, %v\n", r, r.Elapsed.Round(time.Millisecond))
	})
}

func survivors(rs []proptest.MutantResult) int {
	n := 0
	for _, r := range rs {
		if !r.Caught {
			n++
		}
	}
	return n
}

// writeCheckReport writes the report as Markdown or JSON, by path's extension.
func writeCheckReport(path string, rep checkReport) error {
	if strings.HasSuffix(path, ".json") {
		return writeReport(path, func(w io.Writer) error { return encodeJSON(w, rep) })
	}
	return writeReport(path, func(w io.Writer) error {
		if err := rep.Campaign.WriteMarkdown(w); err != nil || rep.Mutants == nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		return proptest.WriteMutantsMarkdown(w, rep.Mutants)
	})
}

// replay runs one scenario, given by seed or as JSON, and prints its verdict.
func replay(ctx context.Context, cfg checkConfig, stdout, stderr io.Writer) int {
	var s proptest.Scenario
	if seed, err := strconv.ParseInt(cfg.replay, 10, 64); err == nil {
		s = proptest.ScenarioFromSeed(seed)
	} else if s, err = proptest.ParseScenario(cfg.replay); err != nil {
		fmt.Fprintf(stderr, "quorumlock check: --replay: want a seed or a scenario's JSON: %v\n", err)
		return 2
	}
	c := cfg.campaign
	h, err := proptest.Run(ctx, s, proptest.RunConfig{RealRedis: c.RealRedis, URLs: c.URLs})
	if err != nil {
		fmt.Fprintln(stderr, "quorumlock check:", err)
		return 3
	}
	res := proptest.Check(h)
	fmt.Fprintf(stdout, "%v\n%d operations in %v\n", s, len(h.Ops), h.Elapsed.Round(time.Millisecond))
	if !res.Failed() {
		fmt.Fprintf(stdout, "no violation\n%v", res)
		return 0
	}
	fmt.Fprintf(stdout, "VIOLATION of %v\n%v", res.Breached(), res)
	return 1
}

// checkBar redraws one progress line: scenarios against --runs, or time against --duration.
type checkBar struct {
	w     io.Writer
	runs  int
	dur   time.Duration
	start time.Time
	mu    sync.Mutex
}

func newCheckBar(w io.Writer, c proptest.CampaignConfig) *checkBar {
	return &checkBar{w: w, runs: c.Runs, dur: c.Duration, start: time.Now()}
}

func (b *checkBar) update(done int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	elapsed := time.Since(b.start)
	if b.dur > 0 {
		fmt.Fprintf(b.w, "\r\033[K%s %v/%v, %d scenarios", bar(int(elapsed), int(b.dur)), elapsed.Round(time.Second), b.dur, done)
		return
	}
	fmt.Fprintf(b.w, "\r\033[K%s %d/%d scenarios, %v", bar(done, b.runs), done, b.runs, elapsed.Round(time.Second))
}

// clear erases the line; a nil bar does nothing.
func (b *checkBar) clear() {
	if b != nil {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// bar draws done out of total as [###....].
func bar(done, total int) string {
	const width = 30
	filled := 0
	if total > 0 {
		filled = min(width, max(0, width*done/total))
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "]"
}
