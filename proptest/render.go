package proptest

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the report as Markdown: what ran, the faults injected, the violations by
// property, and the failure if there was one, with what replays it.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	mutant := string(r.Mutant)
	if mutant == "" {
		mutant = "none (the correct protocol)"
	}
	fmt.Fprintf(&b, "## Safety campaign\n\n")
	fmt.Fprintf(&b, "| | |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| seed | %d |\n| mutant | %s |\n| nodes | %s |\n", r.Seed, mutant, r.Backend)
	fmt.Fprintf(&b, "| scenarios | %d (%s) |\n| shrink runs | %d |\n| operations | %d |\n| elapsed | %v |\n\n",
		r.Scenarios, r.asked(), r.ShrinkRuns, r.Operations, r.Elapsed.Round(time.Second))
	fmt.Fprintf(&b, "| fault | injected |\n| --- | ---: |\n")
	for _, k := range AllFaultKinds {
		fmt.Fprintf(&b, "| %s | %d |\n", k, r.Faults[k])
	}
	r.writePropertiesMarkdown(&b)
	if f := r.Failure; f != nil {
		fmt.Fprintf(&b, "\n### Failure\n\nAfter %d scenarios, caught by %v.\n\n```\n%v\n%v```\n", f.AfterRuns, f.Result.Breached(), f.Scenario, f.Result)
		fmt.Fprintf(&b, "\nReplay: `quorumlock check --replay %d`\n", f.Scenario.Seed)
		if f.Shrunk.Shrunk > 0 {
			fmt.Fprintf(&b, "\nShrunk in %d steps to:\n\n```\n%v\n%v```\n\nReplay: `quorumlock check --replay '%s'`\n",
				f.Shrunk.Shrunk, f.Shrunk, f.ShrunkResult, f.Shrunk.JSON())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePropertiesMarkdown writes the violations by property and the keys left behind: ours, and
// the peer's beside them.
func (r Report) writePropertiesMarkdown(b *strings.Builder) {
	peer := r.Peer
	if peer == nil {
		fmt.Fprintf(b, "\n| property | violations | expected outside the timing model |\n| --- | ---: | ---: |\n")
		for _, p := range AllProperties {
			fmt.Fprintf(b, "| %s | %d | %d |\n", p, r.Violations[p], r.Expected[p])
		}
		fmt.Fprintf(b, "\nLock keys left behind once every client had closed: %v.\n", r.Left)
		return
	}
	fmt.Fprintf(b, "\nThe same %d scenarios against %s (each on a fresh cluster with the same plan).\n\n", peer.Scenarios, peer.Library)
	if peer.NotRun > 0 {
		fmt.Fprintf(b, "%d more could not run against %s; the first: `%s`\n\n", peer.NotRun, peer.Library, firstLine(peer.NotRunExample))
	}
	if peer.Skipped > 0 {
		fmt.Fprintf(b, "%d scenarios that %s has no equivalent for (scripted, semaphore, election) were run on ours only.\n\n", peer.Skipped, peer.Library)
	}
	fmt.Fprintf(b, "| property | ours: violations | ours: expected | %[1]s: violations | %[1]s: expected |\n| --- | ---: | ---: | ---: | ---: |\n", peer.Library)
	for _, p := range AllProperties {
		theirs := fmt.Sprintf("%d | %d", peer.Violations[p], peer.Expected[p])
		if !peer.applies(p) {
			theirs = "n/a | n/a"
		}
		fmt.Fprintf(b, "| %s | %d | %d | %s |\n", p, r.Violations[p], r.Expected[p], theirs)
	}
	fmt.Fprintf(b, "\nLock keys left behind once every client had closed: ours %v; %s %v.\n", r.Left, peer.Library, peer.Left)
	if len(peer.Examples) > 0 {
		fmt.Fprintf(b, "\nThe first violation of each property by %s:\n\n", peer.Library)
		for _, p := range AllProperties {
			if ex, ok := peer.Examples[p]; ok {
				fmt.Fprintf(b, "- %s: %s\n", p, strings.ReplaceAll(ex, "\n", " "))
			}
		}
	}
}

// WriteMutantsMarkdown writes a table of what caught each mutant.
func WriteMutantsMarkdown(w io.Writer, results []MutantResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Mutants\n\n| mutant | caught | by | after scenarios | family | seed |\n| --- | --- | --- | ---: | --- | ---: |\n")
	for _, m := range results {
		if !m.Caught {
			fmt.Fprintf(&b, "| %s | **no** (%d scenarios) | | | | |\n", m.Mutant, m.Scenarios)
			continue
		}
		fmt.Fprintf(&b, "| %s | yes | %v | %d | %s | %d |\n", m.Mutant, m.By, m.AfterRuns, m.Family, m.Seed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
