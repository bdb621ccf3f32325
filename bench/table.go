package bench

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// notRepresentative is said of every report on in-process nodes.
const notRepresentative = "in-process miniredis: not representative of real Redis speed " +
	"(client CPU and allocations include the servers' work)"

// Header returns the lines that say what was run, where, and how to read the table.
func (rep Report) Header() []string {
	lines := []string{
		fmt.Sprintf("quorumlock bench, %s: ours (quorumlock, fenced) vs %s, same nodes, alternating",
			rep.Started.Format(time.DateTime), rep.Peer),
		fmt.Sprintf("nodes: %s; %s, %d CPUs; rounds: %d × %v per library and scenario%s",
			rep.describeNodes(), rep.Go, rep.CPUs, rep.Rounds, rep.Measure, maxOpsNote(rep.MaxOps)),
		"values: medians over rounds (keys left, errors: worst round); ratio = ours/redsync",
		"op = Lock+Unlock; contended: one TryLock (+Unlock if granted); keys left: lock keys on the nodes after the run",
	}
	if rep.hasKind(Waiting) {
		lines = append(lines, "wait scenarios: p50, p99, p99.9 are the wait from Lock (semaphore: Acquire) to grant, of the "+
			"ops started in the window; rates count the ops ended in it; ours/polling = ours over ours with DisableNotify, same run")
	}
	if rep.hasKind(Failover) || rep.hasKind(Handover) {
		lines = append(lines, "election scenarios: op = the leader crashes or resigns; p50, p99, p99.9 are the time from "+
			"then until another candidate's campaign returns: a failover, a handover")
	}
	if rep.hasKind(Waiting) || rep.hasKind(Failover) || rep.hasKind(Handover) {
		lines = append(lines, "attempts/grant (wait and election scenarios): ours' quorum attempts (a semaphore's: one per "+
			"slot tried) per grant, over every op of the run, measured or not; redsync's are not counted")
	}
	if rep.InProcess {
		lines = append(lines, notRepresentative)
	}
	return lines
}

// hasKind reports whether a scenario of kind k ran.
func (rep Report) hasKind(k Kind) bool {
	for _, sr := range rep.Scenarios {
		if sr.Skipped == "" && sr.Scenario.Kind == k {
			return true
		}
	}
	return false
}

func (rep Report) describeNodes() string {
	var versions []string
	for _, v := range rep.Servers {
		if v != "" && !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
	}
	s := rep.Backend
	if s == "" {
		s = fmt.Sprintf("%d nodes", len(rep.Servers))
	}
	if len(versions) > 0 {
		s += ", Redis " + strings.Join(versions, ", ")
	}
	return s
}

func maxOpsNote(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" or %d ops", n)
}

// rows returns the table: a header row, a row saying which direction is better, then per
// scenario one row per library and one of ratios; a scenario with Polling adds ours polling and
// the ratios ours/polling.
func (rep Report) rows() [][]string {
	metrics := Metrics()
	head := []string{"scenario", "N", "library"}
	better := []string{"", "", "better:"}
	for _, m := range metrics {
		head = append(head, m.Title)
		better = append(better, string(m.Better))
	}
	out := [][]string{head, better}
	for _, sr := range rep.Scenarios {
		n := strconv.Itoa(sr.Scenario.Nodes)
		if sr.Skipped != "" {
			out = append(out, pad([]string{sr.Scenario.Name, n, "skipped: " + sr.Skipped}, len(head)))
			continue
		}
		k := sr.Scenario.Kind
		ours := []string{sr.Scenario.Name, n, Ours}
		peer := []string{"", "", sr.PeerLabel}
		ratio := []string{"", "", "ours/redsync"}
		for _, m := range metrics {
			ours = append(ours, cell(m, k, sr.Ours.Median))
			peer = append(peer, cell(m, k, sr.Peer.Median))
			ratio = append(ratio, ratioCell(m, k, sr.Ours.Median, sr.Peer.Median))
		}
		out = append(out, ours)
		if sr.PeerLabel != "" {
			out = append(out, peer, ratio)
		}
		if sr.Polling != nil {
			polling := []string{"", "", OursPolling}
			ratio := []string{"", "", "ours/polling"}
			for _, m := range metrics {
				polling = append(polling, cell(m, k, sr.Polling.Median))
				ratio = append(ratio, ratioCell(m, k, sr.Ours.Median, sr.Polling.Median))
			}
			out = append(out, polling, ratio)
		}
	}
	return out
}

func cell(m Metric, k Kind, r Result) string {
	v, ok := m.Value(k, r)
	if !ok {
		return "-"
	}
	return m.Format(v)
}

func ratioCell(m Metric, k Kind, ours, other Result) string {
	if v, ok := ratio(m, k, ours, other); ok {
		return formatRatio(v)
	}
	return "-"
}

func pad(row []string, n int) []string {
	for len(row) < n {
		row = append(row, "")
	}
	return row
}

// targetLines returns a line per target of the scenarios that ran, with the ratio measured.
func (rep Report) targetLines() []string {
	var lines []string
	for _, sr := range rep.Scenarios {
		for _, tr := range sr.Targets {
			if len(lines) == 0 {
				lines = append(lines, "targets (ratio of medians, this run):")
			}
			lines = append(lines, fmt.Sprintf("  %s: %s", sr.Scenario.Name, tr.describe()))
		}
	}
	return lines
}

// pastExpiryLines returns, per failover scenario that ran, the part of its failovers after the
// crashed leader's keys expired, beside the peer's.
func (rep Report) pastExpiryLines() []string {
	var lines []string
	for _, sr := range rep.Scenarios {
		if sr.Skipped != "" || sr.Scenario.Kind != Failover {
			continue
		}
		o, p := sr.Ours.Median, sr.Peer.Median
		line := fmt.Sprintf("%s, after the crashed leader's keys expired on a majority (p50, p99): ours %s, %s",
			sr.Scenario.Name, formatDur(float64(o.PastExpiryP50)), formatDur(float64(o.PastExpiryP99)))
		if sr.PeerLabel != "" {
			line += fmt.Sprintf("; %s %s, %s; ours/redsync %s, %s", sr.PeerLabel,
				formatDur(float64(p.PastExpiryP50)), formatDur(float64(p.PastExpiryP99)),
				durRatio(o.PastExpiryP50, p.PastExpiryP50), durRatio(o.PastExpiryP99, p.PastExpiryP99))
		}
		lines = append(lines, line)
	}
	return lines
}

// durRatio renders a/b as a ratio, or "-" when b is zero.
func durRatio(a, b time.Duration) string {
	if b == 0 {
		return "-"
	}
	return formatRatio(float64(a) / float64(b))
}

// footer returns the scenario descriptions, the targets and the parts of failovers past expiry,
// and the first error of every run that had errors.
func (rep Report) footer() []string {
	lines := []string{"scenarios:"}
	for _, sr := range rep.Scenarios {
		lines = append(lines, fmt.Sprintf("  %s: %s", sr.Scenario.Name, sr.Scenario.Description))
	}
	lines = append(lines, rep.targetLines()...)
	lines = append(lines, rep.pastExpiryLines()...)
	for _, sr := range rep.Scenarios {
		summaries := []Summary{sr.Ours, sr.Peer}
		if sr.Polling != nil {
			summaries = append(summaries, *sr.Polling)
		}
		for _, s := range summaries {
			if s.Median.FirstError != "" {
				lines = append(lines, fmt.Sprintf("first error, %s %s: %s",
					sr.Scenario.Name, s.Median.Library, s.Median.FirstError))
			}
		}
	}
	return lines
}

// WriteTable writes the report as an aligned text table for a terminal.
func (rep Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	for _, l := range rep.Header() {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, row := range leftAlign(rep.rows(), 3) {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	for _, l := range rep.footer() {
		b.WriteString(l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as Markdown: the header as a paragraph, then the table.
func (rep Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	for _, l := range rep.Header() {
		b.WriteString(l + "  \n")
	}
	b.WriteString("\n")
	rows := rep.rows()
	for i, row := range rows {
		b.WriteString("| " + strings.Join(escapeMD(row), " | ") + " |\n")
		if i == 0 {
			b.WriteString("|" + strings.Repeat(" --- |", len(row)) + "\n")
		}
	}
	b.WriteString("\n")
	for _, l := range rep.footer() {
		b.WriteString(strings.TrimLeft(l, " ") + "  \n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// leftAlign pads the first n columns to a common width, so that a right-aligning tabwriter
// leaves them aligned left.
func leftAlign(rows [][]string, n int) [][]string {
	width := make([]int, n)
	for _, row := range rows {
		for i := 0; i < n && i < len(row); i++ {
			width[i] = max(width[i], utf8.RuneCountInString(row[i]))
		}
	}
	out := make([][]string, len(rows))
	for r, row := range rows {
		out[r] = slices.Clone(row)
		for i := 0; i < n && i < len(row); i++ {
			out[r][i] += strings.Repeat(" ", width[i]-utf8.RuneCountInString(row[i]))
		}
	}
	return out
}

func escapeMD(row []string) []string {
	out := make([]string, len(row))
	for i, s := range row {
		out[i] = strings.ReplaceAll(s, "|", `\|`)
	}
	return out
}
