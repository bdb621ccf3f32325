package bench_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/bench"
)

// sampleReport is a report as Run would return it, without running anything.
func sampleReport() bench.Report {
	res := func(lib string, opsPerSec float64, p50 time.Duration) bench.Result {
		return bench.Result{Library: lib, Round: 1, Ops: 100, Grants: 100, OpsPerSec: opsPerSec, GrantsPerSec: 20,
			P50: p50, P99: 2 * p50, P999: 3 * p50, ClientCPUPerOp: 300 * time.Microsecond, AllocsPerOp: 144,
			ServerCPUKnown: true, ServerCPUPerOp: 250 * time.Microsecond}
	}
	sum := func(r bench.Result) bench.Summary { return bench.Summary{Median: r, Rounds: []bench.Result{r}} }
	scs := bench.DefaultScenarios(5)
	rep := bench.Report{Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Backend: "5 test nodes",
		Servers: []string{"7.0.15", "7.0.15"}, Go: "go1.26 linux/amd64", CPUs: 2, Peer: "redsync v4.18.1",
		Rounds: 1, Measure: time.Second}
	for i, sc := range scs[:4] {
		ours, peer := res(bench.Ours, 1000*float64(i+1), 400*time.Microsecond), res(bench.Redsync, 2000, time.Millisecond)
		peer.FirstError = "a | pipe"
		rep.Scenarios = append(rep.Scenarios, bench.ScenarioReport{Scenario: sc, PeerLabel: bench.Redsync,
			Ours: sum(ours), Peer: sum(peer)})
	}
	rep.Scenarios = append(rep.Scenarios, bench.ScenarioReport{Scenario: scs[len(scs)-1], Skipped: "needs 7 nodes, 5 given"})
	return rep
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"uncontended", "parallel-64", "contended-16", "skipped: needs 7 nodes",
		"ours/redsync", "better:", "higher", "lower", "p99.9", "srv cpu/op", "keys left", "400µs",
		"first error, uncontended redsync: a | pipe", "Redis 7.0.15"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not representative") {
		t.Errorf("table of real nodes says they are not representative:\n%s", out)
	}
	rep := sampleReport()
	rep.InProcess = true
	b.Reset()
	_ = rep.WriteTable(&b)
	if !strings.Contains(b.String(), "in-process miniredis: not representative of real Redis speed") {
		t.Errorf("in-process table lacks the warning:\n%s", b.String())
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	var table []string
	for _, l := range lines {
		if strings.HasPrefix(l, "|") {
			table = append(table, l)
		}
	}
	if len(table) < 3 || !strings.HasPrefix(table[1], "| --- |") {
		t.Fatalf("no Markdown table with a separator row:\n%s", b.String())
	}
	cols := strings.Count(table[0], " | ")
	for _, row := range table {
		if strings.Count(strings.ReplaceAll(row, `\|`, ""), " | ") != cols && !strings.HasPrefix(row, "| --- |") {
			t.Errorf("row has a different number of columns than the header: %s", row)
		}
	}
}

func TestWriteSVGIsWellFormed(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	rects := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	// background + 2 legend swatches + 2 panels × 4 scenarios × 2 libraries
	if want := 1 + 2 + 2*4*2; rects != want {
		t.Errorf("SVG has %d rects, want %d", rects, want)
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	rep := sampleReport()
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back bench.Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Scenarios) != len(rep.Scenarios) || back.Scenarios[0].Ours.Median.P50 != rep.Scenarios[0].Ours.Median.P50 {
		t.Errorf("JSON round trip lost data: %s", data)
	}
}

func TestWriteTableShowsOursPollingBesideOurs(t *testing.T) {
	rep := sampleReport()
	wait, err := bench.Select(bench.DefaultScenarios(5), "contended-16-wait")
	if err != nil {
		t.Fatal(err)
	}
	r := func(lib string, p99 time.Duration) bench.Summary {
		m := bench.Result{Library: lib, Ops: 100, Grants: 100, OpsPerSec: 100, GrantsPerSec: 100, P50: p99 / 4, P99: p99}
		return bench.Summary{Median: m, Rounds: []bench.Result{m}}
	}
	polling := r(bench.OursPolling, 800*time.Millisecond)
	polling.Median.FirstError = "polling broke"
	rep.Scenarios = append(rep.Scenarios, bench.ScenarioReport{Scenario: wait[0], PeerLabel: bench.Redsync,
		Ours: r(bench.Ours, 200*time.Millisecond), Peer: r(bench.Redsync, time.Second), Polling: &polling})
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"wait scenarios: p50, p99, p99.9 are the wait from Lock (semaphore: Acquire) to grant",
		"ours (polling)", "first error, contended-16-wait ours (polling): polling broke"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The p99 of ours over ours polling: 200ms / 800ms.
	var ratioRow string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "ours/polling") {
			ratioRow = l
		}
	}
	if !strings.Contains(ratioRow, "0.25x") {
		t.Errorf("ours/polling row %q lacks the p99 ratio 0.25x:\n%s", ratioRow, out)
	}
	b.Reset()
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "ours (polling)") || strings.Contains(out, "wait scenarios") {
		t.Errorf("a report without wait scenarios shows or explains ours polling:\n%s", out)
	}
}

func TestWriteTableShowsTargetsWithTheRatiosMeasured(t *testing.T) {
	wait, err := bench.Select(bench.DefaultScenarios(5), "contended-16-wait")
	if err != nil {
		t.Fatal(err)
	}
	rep := sampleReport()
	rep.Scenarios = append(rep.Scenarios, bench.ScenarioReport{Scenario: wait[0], PeerLabel: bench.Redsync,
		Targets: []bench.TargetResult{
			{Target: bench.Target{Metric: "grants_per_sec", Against: bench.Redsync, Ratio: 3}, Measured: 1.5, Known: true},
			{Target: bench.Target{Metric: "p99", Against: bench.OursPolling, Ratio: 0.5}, Measured: 0.25, Known: true, Met: true}}})
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"targets (ratio of medians, this run):",
		"  contended-16-wait: grants/s ours/redsync 1.50x, target >= 3.00x: NOT MET",
		"  contended-16-wait: p99 ours/polling 0.25x, target <= 0.50x: met"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "targets") {
		t.Errorf("a report without targets shows a targets section:\n%s", b.String())
	}
}

func TestWriteTableAndSVGShowAScenarioOfOursAlone(t *testing.T) {
	sem, err := bench.Select(bench.DefaultScenarios(5), "semaphore-16-wait")
	if err != nil {
		t.Fatal(err)
	}
	m := bench.Result{Library: bench.Ours, Ops: 5, Grants: 5, OpsPerSec: 9, GrantsPerSec: 9, P50: time.Millisecond}
	rep := sampleReport()
	rep.Scenarios = append(rep.Scenarios, bench.ScenarioReport{Scenario: sem[0],
		Ours: bench.Summary{Median: m, Rounds: []bench.Result{m}}})
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(l, "  semaphore-16-wait ") {
			found = true
			if i+1 < len(lines) && strings.Contains(lines[i+1], "redsync") {
				t.Errorf("semaphore-16-wait, ours alone, is followed by a redsync row:\n%s", b.String())
			}
		}
	}
	if !found {
		t.Errorf("table lacks a row of semaphore-16-wait:\n%s", b.String())
	}
	b.Reset()
	if err := rep.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "semaphore-16-wait") {
		t.Error("the SVG, ours beside redsync, shows a scenario that ran ours alone")
	}
}

func TestWriteTableShowsTheFailoversPartPastExpiry(t *testing.T) {
	fo, err := bench.Select(bench.DefaultScenarios(5), "election-failover")
	if err != nil {
		t.Fatal(err)
	}
	sum := func(lib string, p50, past time.Duration) bench.Summary {
		m := bench.Result{Library: lib, Ops: 5, Grants: 5, OpsPerSec: 0.7, P50: p50, P99: 2 * p50,
			PastExpiryP50: past, PastExpiryP99: 2 * past}
		return bench.Summary{Median: m, Rounds: []bench.Result{m}}
	}
	rep := sampleReport()
	rep.Scenarios = append(rep.Scenarios, bench.ScenarioReport{Scenario: fo[0], PeerLabel: bench.Redsync,
		Ours: sum(bench.Ours, 880*time.Millisecond, 40*time.Millisecond), Peer: sum(bench.Redsync, 900*time.Millisecond, 160*time.Millisecond)})
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"election scenarios: op = the leader crashes or resigns",
		"election-failover, after the crashed leader's keys expired on a majority (p50, p99): ours 40.0ms, 80.0ms; " +
			"redsync 160ms, 320ms; ours/redsync 0.25x, 0.25x"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  election-failover ") && strings.Contains(l, "0.7") {
			t.Errorf("the failover row shows a rate of failovers, which the TTL and Hold set:\n%s", l)
		}
	}
}
