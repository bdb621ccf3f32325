package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Layout of the SVG chart, in pixels.
const (
	svgWidth  = 900
	svgLabelW = 170 // scenario names
	svgPlotW  = 600 // bars
	svgBarH   = 11
	svgGroupH = 32 // one scenario: two bars and a gap
	svgTitleH = 46
	oursColor = "#1f77b4"
	peerColor = "#ff7f0e"
)

// panel is one bar chart of the SVG: one metric, ours beside the peer per scenario.
type panel struct {
	title  string
	format func(float64) string
	value  func(Result) float64
}

// WriteSVG writes a self-contained SVG chart: p50 latency and throughput per scenario, ours
// beside redsync, on logarithmic axes (the scenarios span several orders of magnitude). Skipped
// scenarios are left out, and so are those that ran ours alone, and ours polling: only the table
// shows them.
func (rep Report) WriteSVG(w io.Writer) error {
	var ran []ScenarioReport
	for _, sr := range rep.Scenarios {
		if sr.Skipped == "" && sr.PeerLabel != "" {
			ran = append(ran, sr)
		}
	}
	panels := []panel{
		{"p50 latency per op (log scale; lower is better)", formatDur,
			func(r Result) float64 { return float64(r.P50) }},
		{"throughput, ops/s (log scale; higher is better)", formatRate,
			func(r Result) float64 { return r.OpsPerSec }},
	}
	panelH := svgTitleH + len(ran)*svgGroupH + 20
	height := 60 + len(panels)*panelH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", svgWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	title := "quorumlock (ours) vs " + rep.Peer + " — " + rep.describeNodes()
	if rep.InProcess {
		title += " — in-process, not representative"
	}
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	legend(&b, 10, 40)
	for i, p := range panels {
		p.write(&b, ran, 60+i*panelH)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func legend(b *strings.Builder, x, y int) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">ours</text>`+"\n",
		x, y-10, oursColor, x+16, y)
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">redsync</text>`+"\n",
		x+70, y-10, peerColor, x+86, y)
}

// write draws the panel with its top at y.
func (p panel) write(b *strings.Builder, ran []ScenarioReport, y int) {
	fmt.Fprintf(b, `<text x="10" y="%d" font-weight="bold">%s</text>`+"\n", y+16, html.EscapeString(p.title))
	lo, hi := p.bounds(ran)
	scale := logScale{lo: lo, hi: hi}
	top := y + svgTitleH
	bottom := top + len(ran)*svgGroupH
	for d := lo; d <= hi*1.0001; d *= 10 {
		x := svgLabelW + scale.x(d)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/>`+"\n", x, top-6, x, bottom)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#666">%s</text>`+"\n",
			x, top-10, html.EscapeString(p.format(d)))
	}
	for i, sr := range ran {
		gy := top + i*svgGroupH
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n",
			svgLabelW-8, gy+svgBarH+4, html.EscapeString(sr.Scenario.Name))
		p.bar(b, scale, gy, oursColor, p.value(sr.Ours.Median))
		p.bar(b, scale, gy+svgBarH+1, peerColor, p.value(sr.Peer.Median))
	}
}

func (p panel) bar(b *strings.Builder, s logScale, y int, color string, v float64) {
	w := s.x(v)
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", svgLabelW, y, w, svgBarH, color)
	fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10">%s</text>`+"\n",
		float64(svgLabelW)+w+4, y+svgBarH-1, html.EscapeString(p.format(v)))
}

// bounds returns powers of ten around every positive value of the panel.
func (p panel) bounds(ran []ScenarioReport) (lo, hi float64) {
	lo, hi = math.Inf(1), 0
	for _, sr := range ran {
		for _, v := range []float64{p.value(sr.Ours.Median), p.value(sr.Peer.Median)} {
			if v > 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if hi == 0 {
		return 1, 10
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	return lo, hi
}

// logScale maps [lo, hi] to [0, svgPlotW] logarithmically; positive values at or below lo map
// to 1, others to 0.
type logScale struct{ lo, hi float64 }

func (s logScale) x(v float64) float64 {
	if v <= 0 {
		return 0
	}
	if v <= s.lo {
		return 1 // visible: the value exists
	}
	return svgPlotW * math.Log10(v/s.lo) / math.Log10(s.hi/s.lo)
}
