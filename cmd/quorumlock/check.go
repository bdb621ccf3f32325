package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/quorumlock/quorumlock/internal/mutants"

	"github.com/quorumlock/quorumlock/proptest"
)

// checkConfig holds the check command's flags.
type checkConfig struct {
	campaign   proptest.CampaignConfig
	nodes      string // --nodes: URLs, checked by validate
	spawn      bool   // --spawn: redis-server processes
	inProcess  bool   // --in-process: miniredis (the default)
	mutants    bool
	mutantRuns int
	report     string
	replay     string
}

const checkUsage = `usage: quorumlock check [flags]

Runs the safety campaign: generated scenarios of clients contending for fenced locks while
faults are injected (stalls, failures, lost replies, delays, data loss, kill -9 and restart,
partitions, node clock jumps and drift, client wall-clock steps, client pauses past the lease),
then checks every recorded history for the properties of
docs/PROTOCOL.md: unique and ordered tokens, a fenced store that admits tokens in order and
loses no acknowledged update and is linearizable, exclusion inside the timing model, extend
continuity, liveness after healing, no keys left behind, no slowdown from a stalled minority.

Nodes: --in-process (miniredis in this process, the default), --spawn (redis-server processes
on free 127.0.0.1 ports, started per scenario), or --nodes URL,... (1 to 7 servers of yours;
scenarios run one at a time on all of them, touching only keys under "quorumlock-check:",
which are deleted before and after each). With --in-process and --spawn each scenario draws
its number of nodes, 1 to 7, unless --n fixes it.

--against redsync runs every scenario a second time, on a fresh cluster with the same plan,
with go-redsync/redsync v4 in place of quorumlock (no fencing token: the store then admits
writes in arrival order), and reports its violations and keys left beside ours. They are
findings about the peer and never fail the campaign.

The first scenario that breaks a property stops the campaign; it is shrunk and printed with
the command that replays it (--replay SEED, or --replay 'JSON' for a shrunk one).

--mutants also runs the campaign once per mutant of the protocol (each breaks one rule) and
reports which property caught it; --mutant NAME runs the campaign with that one. Mutants exist
only in a build with the tag quorumlock_mutants:
go run -tags quorumlock_mutants ./cmd/quorumlock check --mutants

exit codes: 0 no violation (and every mutant caught), 1 a violation (or a mutant survived),
2 bad usage, 3 the campaign could not run (a server did not start, interrupted).

examples: quorumlock check --runs 500
          quorumlock check --duration 1h --seed 7 --report campaign.md
          quorumlock check --spawn --runs 50 --against redsync
          quorumlock check --replay 8423570154

flags:
`

// parseCheck parses check's flags; -h prints the help on out.
func parseCheck(args []string, out io.Writer) (checkConfig, error) {
	var cfg checkConfig
	c := &cfg.campaign
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.Int64Var(&c.Seed, "seed", 0, "campaign seed (0: a random one, printed)")
	fs.IntVar(&c.Runs, "runs", 200, "scenarios to run (0 with --duration: no limit)")
	fs.DurationVar(&c.Duration, "duration", 0, "stop starting scenarios after this long")
	fs.StringVar(&cfg.nodes, "nodes", "", "comma-separated Redis `URLs` of your servers: redis://host:port[/db], or rediss://")
	fs.BoolVar(&cfg.spawn, "spawn", false, "run on redis-server processes started per scenario on 127.0.0.1")
	fs.BoolVar(&cfg.inProcess, "in-process", false, "run on miniredis servers in this process (the default)")
	fs.IntVar(&c.Nodes, "n", 0, "nodes per scenario, 1-7 (0: each scenario draws its own)")
	fs.IntVar(&c.Parallel, "parallel", 0, "scenarios at once (0: three per CPU, at most 8)")
	fs.IntVar(&c.MaxShrinks, "shrinks", 10, "shrink steps for a failing scenario (-1: none)")
	fs.Func("mutant", "run the campaign with this one `MUTANT` enabled (build tag quorumlock_mutants)", func(v string) error {
		c.Mutant = mutants.Mutant(v)
		return nil
	})
	fs.StringVar(&c.Against, "against", "", "also run every scenario against this peer library: redsync")
	fs.BoolVar(&cfg.mutants, "mutants", false, "also run the campaign once per mutant (build tag quorumlock_mutants)")
	fs.IntVar(&cfg.mutantRuns, "mutant-runs", 120, "scenario budget of each mutant's campaign")
	fs.StringVar(&cfg.report, "report", "", "write the report to `FILE` (.md for Markdown, .json for JSON)")
	fs.StringVar(&cfg.replay, "replay", "", "run one scenario: its seed, or its JSON as printed")
	fs.Usage = func() {
		fmt.Fprint(out, checkUsage)
		printFlags(out, fs, nil)
	}
	if err := parseFlags(fs, args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, cfg.unexpected(fs.Arg(0))
	}
	runsSet := false
	fs.Visit(func(f *flag.Flag) { runsSet = runsSet || f.Name == "runs" })
	if c.Duration > 0 && !runsSet {
		c.Runs = 0
	}
	return cfg, cfg.validate()
}

// unexpected explains an argument that no flag took: a count after --spawn or --in-process,
// which take none in check, or a stray word.
func (cfg *checkConfig) unexpected(arg string) error {
	if _, err := strconv.Atoi(arg); err == nil && (cfg.spawn || cfg.inProcess) {
		mode := "--spawn"
		if cfg.inProcess {
			mode = "--in-process"
		}
		return fmt.Errorf("%s takes no number: each scenario draws its nodes (1-7); fix them with --n %s", mode, arg)
	}
	return fmt.Errorf("unexpected argument %q", arg)
}

// nodeSource sets where the scenarios run: --nodes, --spawn or --in-process (the default).
func (cfg *checkConfig) nodeSource() error {
	c := &cfg.campaign
	switch {
	case cfg.nodes == "spawn": // the forms of --nodes before it meant URLs only
		return errors.New("--nodes spawn: --nodes takes redis:// URLs; for redis-server processes started by check: --spawn")
	case cfg.nodes == "in-process":
		return errors.New("--nodes in-process: --nodes takes redis:// URLs; in-process nodes are the default (--in-process)")
	case countTrue(cfg.nodes != "", cfg.spawn, cfg.inProcess) > 1:
		return errors.New("give at most one of --nodes, --spawn and --in-process")
	case cfg.nodes != "":
		urls, err := parseNodes(cfg.nodes)
		if err != nil {
			return fmt.Errorf("--nodes: %w", err)
		}
		c.URLs = urls
	}
	c.RealRedis = cfg.spawn
	return nil
}

// countTrue returns how many of bs are true.
func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func (cfg *checkConfig) validate() error {
	c := &cfg.campaign
	if err := cfg.nodeSource(); err != nil {
		return err
	}
	switch {
	case c.Runs < 0:
		return fmt.Errorf("--runs %d: want 0 or more", c.Runs)
	case c.Runs == 0 && c.Duration <= 0:
		return errors.New("--runs 0 needs --duration")
	case c.Duration < 0:
		return fmt.Errorf("--duration %v: want a positive duration", c.Duration)
	case c.Nodes < 0 || c.Nodes > 7:
		return fmt.Errorf("--n %d: want 1 to 7", c.Nodes)
	case c.Parallel < 0:
		return fmt.Errorf("--parallel %d: want 1 or more", c.Parallel)
	case c.MaxShrinks == 0 || c.MaxShrinks < -1:
		return fmt.Errorf("--shrinks %d: want 1 or more, or -1 for none", c.MaxShrinks)
	case c.Against != "" && c.Against != "redsync":
		return fmt.Errorf("--against %q: the only peer is redsync", c.Against)
	case cfg.mutantRuns < 1:
		return fmt.Errorf("--mutant-runs %d: want 1 or more", cfg.mutantRuns)
	case (cfg.mutants || c.Mutant != "") && !mutants.Available():
		return errors.New("--mutants, --mutant: this build has no mutants; build with -tags quorumlock_mutants")
	case c.Mutant != "" && !slices.Contains(mutants.All, c.Mutant):
		return fmt.Errorf("--mutant %q: no such mutant (have %v)", c.Mutant, mutants.All)
	case cfg.report != "" && !strings.HasSuffix(cfg.report, ".md") && !strings.HasSuffix(cfg.report, ".json"):
		return fmt.Errorf("--report %q: want a file name ending in .md or .json", cfg.report)
	}
	if c.Seed == 0 {
		c.Seed = rand.Int64N(1<<31) + 1
	}
	return nil
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseCheck(args, stdout)
	if err != nil {
		return usageExit("check", err, stderr)
	}
	if cfg.replay != "" {
		return replay(ctx, cfg, stdout, stderr)
	}
	return campaign(ctx, cfg, stdout, stderr)
}
