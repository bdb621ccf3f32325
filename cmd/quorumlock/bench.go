package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/bench"
)

// benchConfig holds the bench command's flags.
type benchConfig struct {
	nodes                  []string
	spawn, inProcess       int
	duration               time.Duration
	rounds                 int
	ops                    int64
	scenarios              string
	jsonOut, mdOut, svgOut string
	list                   bool
	// --hold: only the measurement of many leases held at once (bench.Hold).
	hold             int
	holdFor, holdTTL time.Duration
	holdWorkers      int
}

const benchUsage = `usage: quorumlock bench [flags]

Runs quorumlock and redsync side by side on the same Redis nodes, alternating, and prints a
table of throughput, latency, CPU, allocations and keys left behind per scenario.

Nodes: --nodes URL,... (yours; keys under "quorumlock-bench:" are written and deleted), or
--spawn N (redis-server processes on free 127.0.0.1 ports, stopped on exit), or --in-process N
(miniredis in this process: not representative of real Redis speed). Default: --spawn 5 when
redis-server is on PATH, else --in-process 5. Spawned and in-process sets get extra nodes when
a selected scenario needs more (nodes-7).

--hold N runs only another measurement: N leases held at once with auto-extension for
--hold-for, then checked (none may be lost) and released; it reports memory and CPU. It takes
the same node flags, and --json and --markdown.

example: quorumlock bench --spawn 5 --duration 2s --rounds 3 --json bench.json --svg bench.svg
         quorumlock bench --spawn 5 --hold 100000 --hold-for 1m

flags:
`

// parseBench parses bench's flags; -h prints the help on out.
func parseBench(args []string, out io.Writer) (benchConfig, error) {
	cfg := benchConfig{}
	var nodes string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&nodes, "nodes", "", "comma-separated Redis `URLs` of your servers: redis://host:port[/db], or rediss://")
	fs.IntVar(&cfg.spawn, "spawn", 0, "start N redis-server processes on 127.0.0.1 (1-15)")
	fs.IntVar(&cfg.inProcess, "in-process", 0, "start N in-process miniredis servers (1-15)")
	fs.DurationVar(&cfg.duration, "duration", bench.DefaultDuration, "measured time per library, scenario and round")
	fs.IntVar(&cfg.rounds, "rounds", bench.DefaultRounds, "rounds per library and scenario (medians are reported)")
	fs.Int64Var(&cfg.ops, "ops", 0, "also end each run after this many ops (0: no limit)")
	fs.StringVar(&cfg.scenarios, "scenarios", "", "comma-separated scenarios to run (default all; see --list)")
	fs.StringVar(&cfg.jsonOut, "json", "", "write the report as JSON to `FILE`")
	fs.StringVar(&cfg.mdOut, "markdown", "", "write the report as Markdown to `FILE`")
	fs.StringVar(&cfg.svgOut, "svg", "", "write a bar chart (p50 latency, throughput) as SVG to `FILE`")
	fs.BoolVar(&cfg.list, "list", false, "list the scenarios and exit")
	fs.IntVar(&cfg.hold, "hold", 0, "run only the hold measurement: `N` leases held at once, auto-extended")
	fs.DurationVar(&cfg.holdFor, "hold-for", bench.DefaultHoldFor, "how long --hold holds the leases")
	fs.DurationVar(&cfg.holdTTL, "hold-ttl", bench.DefaultHoldTTL, "TTL of the leases of --hold (extended every TTL/3)")
	fs.IntVar(&cfg.holdWorkers, "hold-workers", bench.DefaultHoldWorkers, "goroutines that acquire and release the leases of --hold")
	fs.Usage = func() {
		fmt.Fprint(out, benchUsage)
		printFlags(out, fs, nil)
	}
	if err := parseFlags(fs, args); err != nil {
		return cfg, err
	}
	if nodes != "" {
		var err error
		if cfg.nodes, err = parseNodes(nodes); err != nil {
			return cfg, fmt.Errorf("--nodes: %w", err)
		}
	}
	return cfg, cfg.validate(fs)
}

func (c *benchConfig) validate(fs *flag.FlagSet) error {
	sources := countTrue(len(c.nodes) > 0, c.spawn != 0, c.inProcess != 0)
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case sources > 1:
		return errors.New("give at most one of --nodes, --spawn and --in-process")
	case c.spawn < 0 || c.spawn > 15:
		return fmt.Errorf("--spawn %d: want 1 to 15", c.spawn)
	case c.inProcess < 0 || c.inProcess > 15:
		return fmt.Errorf("--in-process %d: want 1 to 15", c.inProcess)
	case c.duration <= 0:
		return fmt.Errorf("--duration %v: want a positive duration", c.duration)
	case c.rounds < 1:
		return fmt.Errorf("--rounds %d: want at least 1", c.rounds)
	case c.ops < 0:
		return fmt.Errorf("--ops %d: want 0 or more", c.ops)
	case c.hold < 0:
		return fmt.Errorf("--hold %d: want 1 or more leases", c.hold)
	case c.holdFor <= 0:
		return fmt.Errorf("--hold-for %v: want a positive duration", c.holdFor)
	case c.holdTTL <= 0:
		return fmt.Errorf("--hold-ttl %v: want a positive duration", c.holdTTL)
	case c.holdWorkers < 1:
		return fmt.Errorf("--hold-workers %d: want at least 1", c.holdWorkers)
	}
	if err := c.validateHold(fs); err != nil {
		return err
	}
	if sources == 0 {
		if bench.RedisAvailable() {
			c.spawn = bench.DefaultClusterSize
		} else {
			c.inProcess = bench.DefaultClusterSize
		}
	}
	return nil
}

// validateHold rejects the flags of the scenarios with --hold, and those of --hold without it.
func (c *benchConfig) validateHold(fs *flag.FlagSet) error {
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		scenarioFlag := strings.Contains(" duration rounds ops scenarios svg list ", " "+f.Name+" ")
		holdFlag := strings.HasPrefix(f.Name, "hold-")
		if c.hold > 0 && scenarioFlag || c.hold == 0 && holdFlag {
			bad = append(bad, "--"+f.Name)
		}
	})
	switch {
	case len(bad) > 0 && c.hold > 0:
		return fmt.Errorf("%s: not with --hold", strings.Join(bad, ", "))
	case len(bad) > 0:
		return fmt.Errorf("%s: only with --hold", strings.Join(bad, ", "))
	}
	return nil
}

// clusterSize is N for the default scenarios.
func (c benchConfig) clusterSize() int {
	switch {
	case c.spawn > 0:
		return c.spawn
	case c.inProcess > 0:
		return c.inProcess
	}
	return min(bench.DefaultClusterSize, len(c.nodes))
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseBench(args, stdout)
	if err != nil {
		return usageExit("bench", err, stderr)
	}
	scenarios, err := bench.Select(bench.DefaultScenarios(cfg.clusterSize()), cfg.scenarios)
	if err != nil {
		return usageExit("bench", fmt.Errorf("--scenarios: %s", strings.TrimPrefix(err.Error(), "bench: ")), stderr)
	}
	if cfg.hold > 0 {
		if err := hold(ctx, cfg, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "quorumlock", err) // err starts with "bench:"
			return 1
		}
		return 0
	}
	if cfg.list {
		width := 0
		for _, s := range scenarios {
			width = max(width, len(s.Name))
		}
		for _, s := range scenarios {
			fmt.Fprintf(stdout, "%-*s  %s\n", width, s.Name, s.Description)
		}
		return 0
	}
	if err := benchmark(ctx, cfg, scenarios, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "quorumlock", err) // err starts with "bench:"
		return 1
	}
	return 0
}

// benchmark starts or names the nodes, runs, and writes the outputs.
func benchmark(ctx context.Context, cfg benchConfig, scenarios []bench.Scenario, stdout, stderr io.Writer) error {
	bc := bench.Config{Nodes: cfg.nodes, ClusterSize: cfg.clusterSize(), Scenarios: scenarios,
		Duration: cfg.duration, Rounds: cfg.rounds, MaxOps: cfg.ops, Backend: "given by --nodes"}
	if len(cfg.nodes) == 0 {
		local, err := startLocal(cfg, scenarios, &bc)
		if err != nil {
			return err
		}
		defer local.Close()
	}
	if isTerminal(stderr) {
		bc.Progress = progressBar(stderr)
	}
	rep, err := bench.Run(ctx, bc)
	if bc.Progress != nil {
		bc.Progress(bench.Progress{}) // clear the line, also after an error
	}
	if len(rep.Scenarios) > 0 {
		if werr := writeOutputs(rep, cfg, stdout); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return err
}

// hold runs bench.Hold on the nodes of cfg (all of those given by --nodes) and writes the
// outputs.
func hold(ctx context.Context, cfg benchConfig, stdout, stderr io.Writer) error {
	bc := bench.Config{Nodes: cfg.nodes, ClusterSize: cfg.clusterSize(), Backend: "given by --nodes"}
	if len(cfg.nodes) == 0 {
		local, err := startLocal(cfg, nil, &bc)
		if err != nil {
			return err
		}
		defer local.Close()
	}
	hc := bench.HoldConfig{Nodes: bc.Nodes, Backend: bc.Backend, InProcess: bc.InProcess,
		Leases: cfg.hold, For: cfg.holdFor, TTL: cfg.holdTTL, Workers: cfg.holdWorkers}
	if bc.InProcess {
		// miniredis runs every script in a new Lua interpreter: a batch of a thousand
		// extensions takes some 30 ms, too close to the default NodeTimeout of 50 ms.
		hc.NodeTimeout = min(250*time.Millisecond, cfg.holdTTL/4)
	}
	if isTerminal(stderr) {
		hc.Progress = holdProgressBar(stderr)
	}
	rep, err := bench.Hold(ctx, hc)
	if rep.Acquired+rep.AcquireErrors == 0 { // nothing ran
		return err
	}
	errs := []error{err, rep.WriteTable(stdout)}
	errs = append(errs, writeReport(cfg.jsonOut, func(w io.Writer) error { return encodeJSON(w, rep) }))
	errs = append(errs, writeReport(cfg.mdOut, rep.WriteMarkdown))
	return errors.Join(errs...)
}

// holdProgressBar returns a HoldProgress callback that redraws one line on w.
func holdProgressBar(w io.Writer) func(bench.HoldProgress) {
	return func(p bench.HoldProgress) {
		if p.Phase == "" {
			fmt.Fprint(w, "\r\033[K")
			return
		}
		unit := "leases"
		if p.Phase == "hold" {
			unit = "s"
		}
		fmt.Fprintf(w, "\r\033[K%s %s: %d/%d %s", bar(p.Done, p.Total), p.Phase, p.Done, p.Total, unit)
	}
}

// startLocal starts the spawned or in-process nodes and fills in bc's Nodes and labels.
func startLocal(cfg benchConfig, scenarios []bench.Scenario, bc *bench.Config) (*bench.LocalNodes, error) {
	n := max(bc.ClusterSize, bench.NodesNeeded(scenarios))
	extra := ""
	if n > bc.ClusterSize {
		extra = fmt.Sprintf(", +%d only for scenarios on more nodes", n-bc.ClusterSize)
	}
	var local *bench.LocalNodes
	var err error
	if cfg.spawn > 0 {
		local, err = bench.SpawnRedis(n)
		bc.Backend = fmt.Sprintf("%d redis-server spawned on 127.0.0.1%s", bc.ClusterSize, extra)
	} else {
		local, err = bench.StartInProcess(n)
		bc.Backend = fmt.Sprintf("%d in-process miniredis%s", bc.ClusterSize, extra)
		bc.InProcess = true
	}
	if err != nil {
		return nil, err
	}
	bc.Nodes = local.URLs
	return local, nil
}

// writeOutputs prints the table and writes the requested files.
func writeOutputs(rep bench.Report, cfg benchConfig, stdout io.Writer) error {
	return errors.Join(rep.WriteTable(stdout),
		writeReport(cfg.jsonOut, func(w io.Writer) error { return encodeJSON(w, rep) }),
		writeReport(cfg.mdOut, rep.WriteMarkdown),
		writeReport(cfg.svgOut, rep.WriteSVG))
}

// writeReport writes what render renders to path, unless path is empty.
func writeReport(path string, render func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err == nil {
		err = errors.Join(render(f), f.Close())
	}
	if err != nil {
		return fmt.Errorf("bench: write report: %w", err)
	}
	return nil
}

// encodeJSON writes v as indented JSON.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar returns a Progress callback that redraws one line on w.
func progressBar(w io.Writer) func(bench.Progress) {
	return func(p bench.Progress) {
		if p.Scenario == "" {
			fmt.Fprint(w, "\r\033[K")
			return
		}
		fmt.Fprintf(w, "\r\033[K%s %d/%d %s, %s, round %d", bar(p.Done, p.Total), p.Done, p.Total, p.Scenario, p.Library, p.Round)
	}
}
