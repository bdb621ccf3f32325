// Command scheduler is the leader-election example: three candidates of one scheduler run
// election.Run on the name "job-scheduler", and the leader of the moment schedules jobs into a
// queue that a fence guards with the term's token. Midway the leader leaves (its Run ends: the
// term is released, another candidate takes over at once), later the next leader crashes (its
// connections close, nothing is released: another takes over once its keys expired). An
// observer prints every change of leader. At the end the example checks the terms and the
// queue, and exits 1 if a check fails.
//
//	go run ./examples/scheduler
//
// It needs no Redis: it starts three in-process nodes (miniredis) on 127.0.0.1. The candidates
// are goroutines, each with a Locker (connections) of its own, as separate processes would be.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// The election's name, the resource the fence guards, and the cast.
const (
	lockName   = "job-scheduler"
	resource   = "job-queue"
	candidates = 3
	nodes      = 3
)

// config holds the flags.
type config struct {
	ttl, tick, phase, stepTimeout time.Duration
}

const usage = `usage: go run ./examples/scheduler [flags]

Runs the leader-election example in one command: starts %d in-process Redis nodes (miniredis)
on 127.0.0.1, brings them into service as a new deployment, and starts %d candidates of a
scheduler, each running election.Run(%q). The leader schedules a job every -tick into a
queue fenced with its term's token. After -phase the leader leaves (its term is released and
another candidate takes over at once), after another -phase the new leader crashes (nothing is
released: another takes over once its keys expire, within -ttl), and after a last -phase
everything stops. An observer prints every change of leader. The example then checks that
terms and tokens increased, that terms never overlapped, and the queue. Exit status: 0 if every
check passed, 1 if one failed, 2 on bad flags.

example (the test's fast settings):

  go run ./examples/scheduler -ttl 500ms -tick 50ms -phase 800ms

flags:
`

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("scheduler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.ttl, "ttl", time.Second, "lease TTL of the candidates' Lockers: how long a crashed leader's term lasts")
	fs.DurationVar(&cfg.tick, "tick", 200*time.Millisecond, "how often the leader schedules a job")
	fs.DurationVar(&cfg.phase, "phase", 3*time.Second, "how long each leader leads before the next event")
	fs.DurationVar(&cfg.stepTimeout, "step-timeout", 10*time.Second, "how long to wait for each expected change of leader before failing")
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, nodes, candidates, lockName)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	return cfg, cfg.validate()
}

// validate reports the first flag that is out of range.
func (c config) validate() error {
	switch {
	case c.ttl < 100*time.Millisecond || c.ttl%time.Millisecond != 0:
		return fmt.Errorf("-ttl %v: want whole milliseconds, at least 100ms", c.ttl)
	case c.tick <= 0:
		return fmt.Errorf("-tick %v: want more than 0", c.tick)
	case c.phase < c.tick:
		return fmt.Errorf("-phase %v: want at least -tick (%v)", c.phase, c.tick)
	case c.stepTimeout <= c.ttl:
		return fmt.Errorf("-step-timeout %v: want more than -ttl (%v)", c.stepTimeout, c.ttl)
	}
	return nil
}

func main() { os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr)) }

// realMain runs the example and returns the exit status.
func realMain(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "scheduler:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, cfg, stdout)
}
