package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// demoConfig holds the demo's flags.
type demoConfig struct {
	nodes, workers, grants int // nodes: --in-process
	ttl                    time.Duration
	oldNodes               string // --nodes, which once was the count: refused with the new form
}

// parseDemo parses demo's flags; -h prints the help on out.
func parseDemo(args []string, out io.Writer) (demoConfig, error) {
	cfg := demoConfig{}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.IntVar(&cfg.nodes, "in-process", 5, "start N in-process miniredis servers (1-15)")
	fs.StringVar(&cfg.oldNodes, "nodes", "", "") // no usage: left out of the help
	fs.IntVar(&cfg.workers, "workers", 4, "number of contending workers (1-64)")
	fs.IntVar(&cfg.grants, "grants", 8, "number of grants to print (1-1000)")
	fs.DurationVar(&cfg.ttl, "ttl", 2*time.Second, "lease TTL")
	fs.Usage = func() {
		fmt.Fprint(out, "usage: quorumlock demo [flags]\n\nStarts in-process Redis nodes (miniredis), brings them into service as a new deployment,\nlets workers contend for one lock and write through a fence, and shows a stale holder\nbeing refused. It needs no Redis and runs on nothing else.\n\nexample: quorumlock demo --in-process 5 --workers 8 --grants 20\n\nflags:\n")
		printFlags(out, fs, nil)
	}
	if err := parseFlags(fs, args); err != nil {
		return cfg, err
	}
	switch {
	case fs.NArg() > 0:
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case cfg.oldNodes != "":
		return cfg, fmt.Errorf("--nodes %s: the demo runs on in-process nodes only: give their number with --in-process %[1]s", cfg.oldNodes)
	case cfg.nodes < 1 || cfg.nodes > 15:
		return cfg, fmt.Errorf("--in-process %d: want 1 to 15", cfg.nodes)
	case cfg.workers < 1 || cfg.workers > 64:
		return cfg, fmt.Errorf("--workers %d: want 1 to 64", cfg.workers)
	case cfg.grants < 1 || cfg.grants > 1000:
		return cfg, fmt.Errorf("--grants %d: want 1 to 1000", cfg.grants)
	}
	return cfg, nil
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseDemo(args, stdout)
	if err != nil {
		return usageExit("demo", err, stderr)
	}
	if err := demo(ctx, cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "quorumlock demo:", err)
		return 1
	}
	return 0
}

// demo starts the nodes, brings them into service, runs the workers until cfg.grants grants,
// then shows fencing at work.
func demo(ctx context.Context, cfg demoConfig, out io.Writer) error {
	urls := make([]string, cfg.nodes)
	for i := range urls {
		// A server that tells a run_id, as redis-server does, so that a restart would be seen.
		s, err := quorumtest.StartServer()
		if err != nil {
			return err
		}
		defer s.Close()
		urls[i] = "redis://" + s.Addr()
	}
	l, err := quorum.Dial(ctx, urls, quorum.Options{TTL: cfg.ttl})
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(out, "%d in-process nodes (miniredis, not representative of Redis speed), %d workers contending for %q\n",
		cfg.nodes, cfg.workers, "nightly-billing")
	// The nodes were started just now and have never served: declare them a new deployment,
	// as an operator does with quorumlock heal --new-deployment. New nodes refuse every grant.
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		return err
	}
	fmt.Fprintf(out, "brought the %d new nodes into service (heal --new-deployment: they have never served)\n", cfg.nodes)
	fence := fencing.NewFence("billing-ledger")
	stale, err := contend(ctx, l, cfg, fence, out)
	if err != nil {
		return err
	}
	werr := fence.Do(stale, func() error { return nil })
	fmt.Fprintf(out, "a paused holder with token %d writes after token %d: %v\n", stale, fence.Last(), werr)
	return nil
}

// contend runs the workers until cfg.grants grants were printed; it returns the first grant's
// token, which is stale by then.
func contend(ctx context.Context, l *quorum.Locker, cfg demoConfig, fence *fencing.Fence, out io.Writer) (fencing.Token, error) {
	var mu sync.Mutex
	var first fencing.Token
	count := 0
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.workers)
	for w := range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := l.Do(ctx, "nightly-billing", func(ctx context.Context, le *quorum.Lease) error {
					return fence.Do(le.Token(), func() error {
						mu.Lock()
						defer mu.Unlock()
						if count == cfg.grants {
							cancel()
							return nil
						}
						count++
						if count == 1 {
							first = le.Token()
						}
						fmt.Fprintf(out, "grant %3d  worker %2d  token %d\n", count, w, le.Token())
						return nil
					})
				})
				if err != nil && ctx.Err() == nil {
					errs <- err
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return first, <-errs
}
