//go:build unix

// Command worker is the background-worker example: three replicas of one worker run the job
// "nightly-billing" under a quorumlock lock, one at a time, and every batch of the job writes a
// ledger row through a SQL fence (fencing/sqlguard over SQLite). A supervisor pauses the holder
// (SIGSTOP) for longer than its lease, resumes it, then kills the next holder (kill -9), and
// prints the timeline: the takeovers, each with a larger fencing token, and the paused holder's
// late write being refused as stale.
//
//	go run ./examples/worker
//
// The same binary is the supervisor (by default) and a replica (-replica N, which the supervisor
// passes when it re-executes itself).
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

// The lock the replicas contend for, and the resource its fence protects.
const (
	lockName = "nightly-billing"
	resource = "billing-ledger"
	replicas = 3
	nodes    = 3
)

// config holds the flags. The supervisor passes ttl and work on to the replicas, with replica,
// nodes and db.
type config struct {
	ttl, work, run, pause, tail, stepTimeout time.Duration

	replica  int    // > 0: run as this replica
	nodeURLs string // replica: comma-separated redis:// URLs
	ledgerDB string // replica: path of the SQLite database
}

const usage = `usage: go run ./examples/worker [flags]

Runs the background-worker example in one command: starts %d in-process Redis nodes
(miniredis) on 127.0.0.1, brings them into service as a new deployment (they have never
served), creates a SQLite ledger in a temporary directory, then starts %d replicas of a
worker as child processes. Each replica loops on Locker.Do(%q); the holder runs
batches that each do some work (-work) and then write one ledger row through sqlguard with
its fencing token. The supervisor lets the first holder work (-run), stops it with SIGSTOP
for longer than its lease (-pause), resumes it (its pending write is refused as stale), then
kills the next holder with SIGKILL, lets the third take over (-tail), stops everything and
checks the ledger. Exit status: 0 if every check passed, 1 if one failed, 2 on bad flags.

example (the test's fast settings):

  go run ./examples/worker -ttl 500ms -work 100ms -run 1s -pause 1.2s -tail 300ms

flags:
`

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.ttl, "ttl", time.Second, "lease TTL of the replicas' lock")
	fs.DurationVar(&cfg.work, "work", 200*time.Millisecond, "work of one batch, before its ledger write")
	fs.DurationVar(&cfg.run, "run", 3*time.Second, "how long the first holder works before it is paused")
	fs.DurationVar(&cfg.pause, "pause", 2500*time.Millisecond, "how long the holder stays stopped (SIGSTOP); more than -ttl")
	fs.DurationVar(&cfg.tail, "tail", time.Second, "how long the last holder works before everything stops")
	fs.DurationVar(&cfg.stepTimeout, "step-timeout", 5*time.Second, "how long to wait for each expected event before failing")
	fs.IntVar(&cfg.replica, "replica", 0, "internal: run as replica `N` (set by the supervisor)")
	fs.StringVar(&cfg.nodeURLs, "nodes", "", "internal, with -replica: comma-separated node `URLs`")
	fs.StringVar(&cfg.ledgerDB, "db", "", "internal, with -replica: `path` of the SQLite ledger")
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, nodes, replicas, lockName)
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
	case c.ttl < 10*time.Millisecond:
		return fmt.Errorf("-ttl %v: want at least 10ms", c.ttl)
	case c.work <= 0:
		return fmt.Errorf("-work %v: want more than 0", c.work)
	case c.replica < 0:
		return fmt.Errorf("-replica %d: want 1 or more", c.replica)
	case c.replica > 0 && (c.nodeURLs == "" || c.ledgerDB == ""):
		return errors.New("-replica needs -nodes and -db")
	case c.replica > 0:
		return nil
	case c.pause <= c.ttl:
		return fmt.Errorf("-pause %v: want more than -ttl (%v), so that the lease runs out", c.pause, c.ttl)
	case c.run < 0 || c.tail < 0:
		return fmt.Errorf("-run %v, -tail %v: want 0 or more", c.run, c.tail)
	case c.stepTimeout <= 0:
		return fmt.Errorf("-step-timeout %v: want more than 0", c.stepTimeout)
	}
	return nil
}

func main() { os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr)) }

// realMain runs the supervisor or a replica and returns the exit status.
func realMain(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.replica > 0 {
		if err := runReplica(ctx, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "worker: replica %d: %v\n", cfg.replica, err)
			return 1
		}
		return 0
	}
	return supervise(ctx, cfg, stdout)
}
