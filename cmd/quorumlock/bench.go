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
}

const benchUsage = `usage: quorumlock bench [flags]

Runs quorumlock and redsync side by side on the same Redis nodes, alternating, and prints a
table of throughput, latency, CPU, allocations and keys left behind per scenario.

Nodes: --nodes URL,... (yours; keys under "quorumlock-bench:" are written and deleted), or
--spawn N (redis-server processes on free 127.0.0.1 ports, stopped on exit), or --in-process N
(miniredis in this process: not representative of real Redis speed). Default: --spawn 5 when
redis-server is on PATH, else --in-process 5. Spawned and in-process sets get extra nodes when
a selected scenario needs more (nodes-7).

example: quorumlock bench --spawn 5 --duration 2s --rounds 3 --json bench.json --svg bench.svg

flags:
`

func parseBench(args []string, stderr io.Writer) (benchConfig, error) {
	cfg := benchConfig{}
	var nodes string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&nodes, "nodes", "", "comma-separated Redis URLs to run on (redis://host:port[/db])")
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
	fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.nodes = splitNodes(nodes)
	return cfg, cfg.validate(fs)
}

func (c *benchConfig) validate(fs *flag.FlagSet) error {
	sources := 0
	for _, set := range []bool{len(c.nodes) > 0, c.spawn != 0, c.inProcess != 0} {
		if set {
			sources++
		}
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	case sources > 1:
		return errors.New("bench: give at most one of --nodes, --spawn and --in-process")
	case c.spawn < 0 || c.spawn > 15:
		return fmt.Errorf("bench: --spawn %d: want 1 to 15", c.spawn)
	case c.inProcess < 0 || c.inProcess > 15:
		return fmt.Errorf("bench: --in-process %d: want 1 to 15", c.inProcess)
	case c.duration <= 0:
		return fmt.Errorf("bench: --duration %v: want a positive duration", c.duration)
	case c.rounds < 1:
		return fmt.Errorf("bench: --rounds %d: want at least 1", c.rounds)
	case c.ops < 0:
		return fmt.Errorf("bench: --ops %d: want 0 or more", c.ops)
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
	cfg, err := parseBench(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	scenarios, err := bench.Select(bench.DefaultScenarios(cfg.clusterSize()), cfg.scenarios)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if cfg.list {
		for _, s := range scenarios {
			fmt.Fprintf(stdout, "%-20s %s\n", s.Name, s.Description)
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
	errs := []error{rep.WriteTable(stdout)}
	write := func(path string, render func(io.Writer) error) {
		if path == "" {
			return
		}
		f, err := os.Create(path)
		if err == nil {
			err = errors.Join(render(f), f.Close())
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("bench: write report: %w", err))
		}
	}
	write(cfg.jsonOut, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	})
	write(cfg.mdOut, rep.WriteMarkdown)
	write(cfg.svgOut, rep.WriteSVG)
	return errors.Join(errs...)
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
	const width = 30
	return func(p bench.Progress) {
		if p.Scenario == "" {
			fmt.Fprint(w, "\r\033[K")
			return
		}
		filled := 0
		if p.Total > 0 {
			filled = width * p.Done / p.Total
		}
		fmt.Fprintf(w, "\r\033[K[%s%s] %d/%d %s, %s, round %d",
			strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Done, p.Total, p.Scenario, p.Library, p.Round)
	}
}
