// Command exporter is the bounded-exporter example: eight exporter workers share a semaphore of
// three permits on three in-process Redis nodes, so at most three exports run at once. Each
// export writes its batch to a store through the fence of its permit's slot (fencing/redisguard,
// one fenced key per slot). One worker stalls with its permit for longer than the lease, as a
// process frozen by a long GC pause would, and writes afterwards: the store refuses it, since
// another worker took over its slot with a larger token.
//
//	go run ./examples/exporter
//
// It prints the timeline, then checks that never more than three exports ran at once with a
// valid permit, that the store accepted no stale write and refused the stalled worker's, and
// exits 1 if a check failed.
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

// The semaphore the workers share.
const semaphoreName = "exports"

// config holds the flags.
type config struct {
	workers, permits        int
	ttl, export, run, stall time.Duration
}

const usage = `usage: go run ./examples/exporter [flags]

Runs the bounded-exporter example in one command: starts 3 in-process Redis nodes (miniredis)
and a store (one more miniredis), brings the nodes into service as a new deployment, and lets
-workers exporter workers share the semaphore %q of -permits permits for -run. Each export
holds a permit (Semaphore.Do), works for -export, then writes its batch through the fence of
its permit's slot. After one TTL, worker 1 takes a permit and stalls for -stall without
extending it, then writes with its token; the others go on until it is done. Exit status: 0 if every check passed, 1 if one
failed, 2 on bad flags.

example (the test's fast settings):

  go run ./examples/exporter -ttl 500ms -export 100ms -stall 1200ms -run 2s

flags:
`

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("exporter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.workers, "workers", 8, "exporter workers, each with a Locker of its own")
	fs.IntVar(&cfg.permits, "permits", 3, "permits of the semaphore: exports that may run at once")
	fs.DurationVar(&cfg.ttl, "ttl", time.Second, "lease TTL of the permits")
	fs.DurationVar(&cfg.export, "export", 300*time.Millisecond, "work of one export, before its write")
	fs.DurationVar(&cfg.stall, "stall", 2500*time.Millisecond, "how long worker 1 stalls with its permit; more than -ttl")
	fs.DurationVar(&cfg.run, "run", 5*time.Second, "how long the workers start new exports, at least until the stalled one ends")
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, semaphoreName)
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
	case c.permits < 1:
		return fmt.Errorf("-permits %d: want at least 1", c.permits)
	case c.workers <= c.permits:
		return fmt.Errorf("-workers %d: want more than -permits (%d), so that workers wait and take over", c.workers, c.permits)
	case c.ttl < 100*time.Millisecond:
		return fmt.Errorf("-ttl %v: want at least 100ms", c.ttl)
	case c.export <= 0:
		return fmt.Errorf("-export %v: want more than 0", c.export)
	case c.stall <= c.ttl+c.export:
		return fmt.Errorf("-stall %v: want more than -ttl + -export (%v), so that another worker takes over the slot and writes first", c.stall, c.ttl+c.export)
	case c.run < 0:
		return fmt.Errorf("-run %v: want 0 or more", c.run)
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
		fmt.Fprintln(stderr, "exporter:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "exporter:", err)
		return 1
	}
	return 0
}
