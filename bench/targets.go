package bench

import (
	"fmt"
	"slices"
)

// Target is a goal for one ratio of a scenario: ours over Against (Redsync or OursPolling) in
// the metric whose Key is Metric, at least Ratio for a metric where higher is better, at most
// Ratio for one where lower is. The report shows every target beside the ratio the run measured
// and says whether it was met; nothing else depends on targets.
type Target struct {
	Metric  string  `json:"metric"`
	Against string  `json:"against"`
	Ratio   float64 `json:"ratio"`
}

// TargetResult is a target and the ratio one run measured for it.
type TargetResult struct {
	Target
	// Measured is ours/Against in the metric, over the medians of the rounds; Known is false
	// when either value is unknown or the divisor is zero, and Measured is then 0.
	Measured float64 `json:"measured"`
	Known    bool    `json:"known"`
	Met      bool    `json:"met"`
}

// validate reports what is wrong with t as a target of s.
func (t Target) validate(s Scenario) error {
	_, ok := metricByKey(t.Metric)
	switch {
	case !ok:
		return fmt.Errorf("target: unknown metric %q", t.Metric)
	case !slices.Contains(libraries(s)[1:], t.Against):
		return fmt.Errorf("target: %s: against %q, which the scenario does not run beside ours", t.Metric, t.Against)
	case !(t.Ratio > 0):
		return fmt.Errorf("target: %s: ratio %v, want a positive ratio", t.Metric, t.Ratio)
	}
	return nil
}

// metricByKey returns the metric named key.
func metricByKey(key string) (Metric, bool) {
	for _, m := range Metrics() {
		if m.Key == key {
			return m, true
		}
	}
	return Metric{}, false
}

// evaluate measures every target of sr's scenario on its summaries.
func (sr ScenarioReport) evaluate() []TargetResult {
	var out []TargetResult
	for _, t := range sr.Scenario.Targets {
		tr := TargetResult{Target: t}
		m, ok := metricByKey(t.Metric)
		against, ran := sr.summary(t.Against)
		if ok && ran {
			tr.Measured, tr.Known = ratio(m, sr.Scenario.Kind, sr.Ours.Median, against.Median)
		}
		tr.Met = tr.Known && (m.Better == Higher && tr.Measured >= t.Ratio || m.Better == Lower && tr.Measured <= t.Ratio)
		out = append(out, tr)
	}
	return out
}

// summary returns the summary of lib in sr, and false if lib did not run.
func (sr ScenarioReport) summary(lib string) (Summary, bool) {
	switch {
	case lib == Ours:
		return sr.Ours, true
	case lib == Redsync && sr.Scenario.hasPeer():
		return sr.Peer, true
	case lib == OursPolling && sr.Polling != nil:
		return *sr.Polling, true
	}
	return Summary{}, false
}

// describe renders tr for the report: "grants/s ours/redsync 1.20x, target >= 3.00x: NOT MET".
func (tr TargetResult) describe() string {
	m, _ := metricByKey(tr.Metric)
	op := ">="
	if m.Better == Lower {
		op = "<="
	}
	got, verdict := "unknown", "unknown"
	if tr.Known {
		got, verdict = formatRatio(tr.Measured), "NOT MET"
		if tr.Met {
			verdict = "met"
		}
	}
	return fmt.Sprintf("%s %s %s, target %s %s: %s", m.Title, ratioLabel(tr.Against), got, op, formatRatio(tr.Ratio), verdict)
}

// ratioLabel names the ratio of ours over lib, as the table's ratio rows do.
func ratioLabel(lib string) string {
	if lib == OursPolling {
		return "ours/polling"
	}
	return "ours/" + lib
}
