package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// Exit codes of heal beside exitOK, exitUsage and exitUnavailable (too few nodes reachable).
const (
	exitHealFailed  = 1 // the heal did not finish: some node was not healed
	exitHealRefused = 3 // heal is not needed, or cannot be done safely
)

const healHelp = `usage: quorumlock heal [flags]

Brings back into service a deployment that cannot grant by itself: a new deployment (with or
without a minority of its nodes down), or one where more nodes restarted or lost their data than
a majority can spare (run then exits 4 and its log says to run heal). heal reads every node,
prints what it found (state, quarantine left, highest token), what it will do and why, and then
does it, unless --dry-run:

  --new-deployment  the servers have never served this lock: their nodes are put into service
                    at once, and tokens go on from the clocks. Refused if any node shows that
                    it served (a marker, a restart seen by its marker, tokens).
  otherwise         a recovery: heal waits until the amnesic nodes' quarantine is over and
                    twice --clock-skew has passed (no lease the lost data backed can still be
                    valid), then gives them a floor above every token that can have been
                    granted: the latest node clock plus a day plus --clock-skew. Later tokens
                    are larger than every earlier one, whatever was lost, and run about a day
                    ahead of the clocks. No node is healed before the wait is over: interrupt
                    heal during the wait to cancel.

heal refuses when it is not needed: no node is amnesic, or a majority of the nodes is healthy,
so that the lock heals the others by itself at the first acquire after their quarantine.
Unreachable nodes are left alone: once they answer, the lock heals them by itself.

exit codes:
  0  healed, or nothing to heal; with --dry-run, the plan was printed
  1  the heal did not finish: some node was not healed (it failed, or heal was interrupted)
  2  usage or configuration error
  3  refused: heal is not needed, or cannot be done safely (the reason is printed)
  4  too few nodes reachable: fewer than a majority answered, so nothing could be granted

examples:
  quorumlock heal --dry-run --config /etc/quorumlock.yaml
  quorumlock heal --new-deployment --nodes redis://10.0.0.1:6379,redis://10.0.0.2:6379,redis://10.0.0.3:6379
  quorumlock heal --clock-skew 5s      # clocks kept within 5s of each other: a shorter wait

flags:
`

// healConfig holds the heal command's arguments.
type healConfig struct {
	newDeployment, dryRun bool
	clockSkew             time.Duration
	cfg                   configFlags
}

// parseHeal parses heal's flags; -h prints the help on out.
func parseHeal(args []string, out io.Writer) (healConfig, error) {
	hc := healConfig{}
	fs := commandFlags("heal", healHelp, out, &hc.cfg, func(fs *flag.FlagSet) {
		fs.BoolVar(&hc.newDeployment, "new-deployment", false, "the servers have never served this lock: put their nodes into service at once")
		fs.BoolVar(&hc.dryRun, "dry-run", false, "print what heal found and would do, and heal nothing")
		fs.DurationVar(&hc.clockSkew, "clock-skew", quorum.DefaultClockSkew, "how far apart the nodes' clocks may be, a `duration`; a recovery waits twice that")
	})
	if err := parseFlags(fs, args); err != nil {
		return hc, err
	}
	switch {
	case fs.NArg() > 0:
		return hc, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case hc.clockSkew <= 0:
		return hc, fmt.Errorf("--clock-skew %v: want a positive duration", hc.clockSkew)
	}
	return hc, nil
}

func runHeal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	hc, err := parseHeal(args, stdout)
	if err != nil {
		return usageExit("heal", err, stderr)
	}
	cfg, err := hc.cfg.load(os.Getenv)
	var opts quorum.Options
	if err == nil {
		opts, err = cfg.options()
	}
	if err != nil {
		fmt.Fprintf(stderr, "quorumlock heal: %v\n", err)
		return exitUsage
	}
	l, err := quorum.Dial(ctx, cfg.nodes, opts)
	if err != nil {
		fmt.Fprintf(stderr, "quorumlock heal: %v\n", err)
		switch {
		case errors.Is(err, quorum.ErrInvalidOptions):
			return exitUsage
		case errors.Is(err, quorum.ErrUnavailable):
			fmt.Fprintln(stderr, "quorumlock heal: too few nodes reachable: a majority must answer before anything can be granted; bring nodes back first")
			return exitUnavailable
		}
		return exitHealFailed
	}
	defer l.Close()
	return hc.heal(ctx, l, stdout, stderr)
}

// heal prints what the nodes look like and what heal will do, then does it, and returns the
// exit code.
func (hc healConfig) heal(ctx context.Context, l *quorum.Locker, stdout, stderr io.Writer) int {
	ho := quorum.HealOptions{NewDeployment: hc.newDeployment, ClockSkew: hc.clockSkew}
	dry := ho
	dry.DryRun = true
	plan, perr := l.Heal(ctx, dry)
	c := healCensus(plan.Nodes)
	writeHealNodes(stdout, plan.Nodes)
	if c.reachable() < c.majority() {
		fmt.Fprintf(stderr, "quorumlock heal: too few nodes reachable: %d of %d answered, a grant needs %d; bring nodes back first\n",
			c.reachable(), c.n, c.majority())
		return exitUnavailable
	}
	writePlan(stdout, plan, c, hc.clockSkew)
	switch {
	case plan.Action == quorum.HealNothing:
		return exitOK
	case perr != nil:
		fmt.Fprintf(stderr, "quorumlock heal: %v\n", perr)
		return exitHealRefused
	case hc.dryRun:
		fmt.Fprintln(stdout, "\ndry run: no node was healed.")
		return exitOK
	}
	p := newProgress(stdout)
	ho.Progress = p.say
	if plan.Action == quorum.HealRecovery {
		defer p.countdown(recoveryWait(plan.Nodes, hc.clockSkew))()
	}
	rep, err := l.Heal(ctx, ho)
	return healOutcome(stdout, stderr, rep, err)
}

// healOutcome prints what the heal did and returns the exit code.
func healOutcome(stdout, stderr io.Writer, rep quorum.HealReport, err error) int {
	if rep.Action == quorum.HealNothing || rep.Action == quorum.HealRefused {
		// The nodes changed since the plan was read (another heal, or the lock healed them).
		fmt.Fprintf(stdout, "\nthe nodes changed meanwhile: %s: %s\n", rep.Action, rep.Reason)
		if rep.Action == quorum.HealNothing {
			return exitOK
		}
		fmt.Fprintf(stderr, "quorumlock heal: %v\n", err)
		return exitHealRefused
	}
	writeResult(stdout, rep, errors.Is(err, context.Canceled))
	if err != nil {
		fmt.Fprintf(stderr, "quorumlock heal: %v\n", err)
		return exitHealFailed
	}
	return exitOK
}
