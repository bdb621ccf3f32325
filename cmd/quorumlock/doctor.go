package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// exitDanger is doctor's exit code when a finding breaks a guarantee.
const exitDanger = 1

const doctorHelp = `usage: quorumlock doctor [flags]

Inspects every node: reachability, round-trip time, server version, run_id (two URLs that reach
one server share it), persistence (appendonly, appendfsync, RDB snapshots), maxmemory-policy,
clock offset against this host, and the lock's marker under the key prefix, which gives the
node's state: ok (in service), new (no lock state: never served, or lost everything),
restarted (its server restarted since it was last in service), or unreachable. A new or
restarted node grants nothing until it is healed: by the lock itself while a majority is in
service, else by quorumlock heal. Prints a table, the findings, and a verdict of what this
deployment does and does not guarantee, naming the command to run when it cannot grant. It only
reads (INFO, CONFIG GET, TIME and the marker), and inspects even a deployment run would refuse.

exit codes:
  0  a majority can grant, and no finding breaks a guarantee (warnings may remain)
  1  a majority can grant, but a danger finding breaks a guarantee until it is fixed
  2  usage or configuration error
  4  nothing can be granted now: fewer than a majority answer, or too few nodes are in service
     (a new deployment, or a majority restarted or lost data: the verdict names the heal command)

examples:
  quorumlock doctor --nodes redis://10.0.0.1:6379,redis://10.0.0.2:6379,redis://10.0.0.3:6379
  QUORUMLOCK_CONFIG=/etc/quorumlock.yaml quorumlock doctor --timeout 3s

flags:
`

// doctorConfig holds the doctor command's arguments.
type doctorConfig struct {
	timeout time.Duration
	cfg     configFlags
}

// parseDoctor parses doctor's flags; -h prints the help on out.
func parseDoctor(args []string, out io.Writer) (doctorConfig, error) {
	dc := doctorConfig{}
	fs := commandFlags("doctor", doctorHelp, out, &dc.cfg, func(fs *flag.FlagSet) {
		fs.DurationVar(&dc.timeout, "timeout", time.Second,
			"how long each node has to answer, if longer than node_timeout (at most TTL/4)")
	})
	if err := parseFlags(fs, args); err != nil {
		return dc, err
	}
	switch {
	case fs.NArg() > 0:
		return dc, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case dc.timeout <= 0:
		return dc, fmt.Errorf("--timeout %v: want a positive duration", dc.timeout)
	}
	return dc, nil
}

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	dc, err := parseDoctor(args, stdout)
	if err != nil {
		return usageExit("doctor", err, stderr)
	}
	cfg, err := dc.cfg.load(os.Getenv)
	var opts quorum.Options
	if err == nil {
		opts, err = cfg.options()
	}
	if err != nil {
		fmt.Fprintf(stderr, "quorumlock doctor: %v\n", err)
		return exitUsage
	}
	opts.NodeTimeout = inspectTimeout(opts, dc.timeout)
	reports, opts, err := inspect(ctx, cfg.nodes, opts)
	if err != nil {
		fmt.Fprintf(stderr, "quorumlock doctor: %v\n", err)
		if errors.Is(err, quorum.ErrInvalidOptions) {
			return exitUsage
		}
		return exitUnavailable
	}
	a := assess(reports) // adds the findings about the deployment as a whole
	werr := writeTable(stdout, reports)
	fmt.Fprintln(stdout)
	for _, line := range a.verdict(opts) {
		fmt.Fprintln(stdout, line)
	}
	if werr != nil {
		fmt.Fprintf(stderr, "quorumlock doctor: %v\n", werr)
	}
	return a.exitCode()
}

// inspectTimeout is the NodeTimeout of the inspection: the configured one or timeout, whichever
// is longer (an inspection asks four questions and is on no lock's critical path), but at most
// TTL/4, which keeps the options valid.
func inspectTimeout(opts quorum.Options, timeout time.Duration) time.Duration {
	ttl := opts.TTL
	if ttl == 0 {
		ttl = quorum.DefaultTTL
	}
	return min(max(opts.NodeTimeout, timeout), ttl/4)
}

// inspect inspects the nodes with quorum.Inspect, which needs no majority and accepts two URLs
// of one server, so that a deployment Dial would refuse can still be examined, and returns the
// reports and the options with every default filled in.
func inspect(ctx context.Context, urls []string, opts quorum.Options) ([]quorum.NodeReport, quorum.Options, error) {
	opts, err := opts.Validate()
	if err != nil {
		return nil, opts, err
	}
	reports, err := quorum.Inspect(ctx, urls, opts)
	return reports, opts, err
}

// writeTable prints one row per node, then the findings.
func writeTable(w io.Writer, reports []quorum.NodeReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNODE\tREACHABLE\tRTT\tVERSION\tRUN_ID\tPERSISTENCE\tMAXMEMORY\tCLOCK OFFSET\tSTATE")
	first := make(map[string]int) // run_id → first row with it
	for i, r := range reports {
		if r.Err != nil {
			fmt.Fprintf(tw, "%d\t%s\tno\t-\t-\t-\t-\t-\t-\t-\n", i+1, r.Node)
			continue
		}
		runID := shortID(r.Info.RunID)
		if j, dup := first[r.Info.RunID]; dup && r.Info.RunID != "" {
			runID += fmt.Sprintf(" (same as #%d)", j+1)
		} else {
			first[r.Info.RunID] = i
		}
		fmt.Fprintf(tw, "%d\t%s\tyes\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, r.Node, millis(r.RTT), orUnknown(r.Info.Version),
			runID, persistence(r.Info), memory(r.Info), fmt.Sprintf("%+.2fms", ms(r.Offset)), inspectState(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nfindings:")
	n := 0
	for i, r := range reports {
		for _, f := range r.Findings {
			n++
			fmt.Fprintf(w, "  %-7s  #%d %s: %s\n", f.Severity, i+1, r.Node, f.Message)
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "  none")
	}
	return nil
}

// millis formats d in milliseconds with two decimals, e.g. "0.42ms".
func millis(d time.Duration) string { return fmt.Sprintf("%.2fms", ms(d)) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func shortID(runID string) string {
	if runID == "" {
		return "?"
	}
	return runID[:min(8, len(runID))]
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// persistence summarises appendonly, appendfsync and the RDB schedule.
func persistence(info quorum.NodeInfo) string {
	var parts []string
	if info.AppendOnly {
		parts = append(parts, "aof, fsync "+orUnknown(info.AppendFsync))
	}
	switch info.Save {
	case "":
	case "?":
		parts = append(parts, "rdb ?")
	default:
		parts = append(parts, "rdb save "+info.Save)
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ", ")
}

// memory summarises maxmemory-policy and maxmemory.
func memory(info quorum.NodeInfo) string {
	limit := "no limit"
	if info.MaxMemory > 0 {
		limit = fmt.Sprintf("%dMiB", info.MaxMemory>>20)
	}
	return orUnknown(info.MaxMemoryPolicy) + ", " + limit
}
