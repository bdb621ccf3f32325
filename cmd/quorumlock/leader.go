package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
)

// Exit codes of leader beside exitOK, exitUsage and exitUnavailable.
const (
	exitInterrupted = 1 // SIGINT or SIGTERM before the nodes answered
	exitNoLeader    = 3 // nobody leads the election, or a term is changing hands
)

const leaderHelp = `usage: quorumlock leader [flags] NAME [flags]

Prints who leads the election NAME (package election): the ID of the candidate whose term a
majority of the nodes hold, and the term's fencing token, or "no leader" when nobody leads or a
term is changing hands. It only reads, and never campaigns. Give it the nodes and key prefix
the candidates use. An ID that is empty or holds a space, a double quote or an unprintable
character is printed as a Go quoted string, so that a line always splits into its fields:

  leader host-a:4242  token 1764115200000123
  no leader

It is a read: it can still show a term that has just ended on its leader's clock, or not yet one
being won. Only the token, checked by the store a leader writes to, tells terms apart safely.

With --watch, leader prints every change it sees, one line each after the time it saw it (RFC
3339 UTC, milliseconds), until SIGINT or SIGTERM: first who leads now, then each new leader
once, tokens never going back, and "no leader" for every vacancy, also between two leaders
seen one right after the other, since terms never overlap. It reads at once when a node
announces a release and otherwise every TTL/4 (--ttl), so a term shorter than that may go
unseen. It reads once before it starts, and exits as without --watch (2, 4) if that read
fails; later reads that fail (fewer than a majority answer) are skipped: nothing is printed
until the nodes answer again.

  2026-11-26T10:00:00.000Z  leader host-a:4242  token 1764115200000123
  2026-11-26T10:00:07.310Z  no leader
  2026-11-26T10:00:09.802Z  leader host-b:977  token 1764115209000456

exit codes:
  0  a leader was printed; with --watch, the watch was stopped by SIGINT or SIGTERM
  1  interrupted by SIGINT or SIGTERM before the nodes answered
  2  usage or configuration error, an invalid NAME included
  3  no leader: nobody leads NAME, or a term is changing hands ("no leader" on stdout);
     without --watch only
  4  nodes unavailable: fewer than a majority answered, or too few of them are in service
     (quorumlock doctor, with the same flags, says which and why)

examples:
  quorumlock leader --nodes redis://10.0.0.1:6379,redis://10.0.0.2:6379,redis://10.0.0.3:6379 scheduler
  QUORUMLOCK_CONFIG=/etc/quorumlock.yaml quorumlock leader --watch scheduler

flags:
`

// leaderConfig holds the leader command's arguments.
type leaderConfig struct {
	name  string
	watch bool
	cfg   configFlags
}

// parseLeader parses "[flags] NAME [flags]"; -h prints the help on out.
func parseLeader(args []string, out io.Writer) (leaderConfig, error) {
	lc := leaderConfig{}
	fs := commandFlags("leader", leaderHelp, out, &lc.cfg, func(fs *flag.FlagSet) {
		fs.BoolVar(&lc.watch, "watch", false, "print every change of leader, one line each, until SIGINT or SIGTERM")
	})
	if err := parseFlags(fs, args); err != nil {
		return lc, err
	}
	if fs.NArg() == 0 {
		return lc, errors.New("missing NAME, the election to read")
	}
	lc.name = fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:]); err != nil { // flags after NAME
		return lc, err
	}
	if fs.NArg() > 0 {
		return lc, fmt.Errorf("unexpected argument %q after NAME %q", fs.Arg(0), lc.name)
	}
	return lc, nil
}

func runLeader(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	lc, err := parseLeader(args, stdout)
	if err != nil {
		return usageExit("leader", err, stderr)
	}
	cfg, opts, err := lc.cfg.dialConfig(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "quorumlock leader: %v\n", err)
		return exitUsage
	}
	l, err := quorum.Dial(ctx, cfg.nodes, opts)
	if err != nil {
		return leaderFailed(ctx, cfg, err, stderr)
	}
	defer l.Close()
	e := observer(l, lc.name)
	ldr, err := e.Leader(ctx) // also before a watch: see watchLeader
	if err != nil && !errors.Is(err, election.ErrNoLeader) {
		return leaderFailed(ctx, cfg, err, stderr)
	}
	if lc.watch {
		return watchLeader(ctx, e, stdout, stderr)
	}
	fmt.Fprintln(stdout, leaderLine(ldr))
	return leaderExit(ctx, err)
}

// observer returns the Election of name through which leader reads. It never campaigns, so its
// StopMargin is set to TTL/10, valid with any options quorum accepts: the default, twice
// NodeTimeout, would refuse an observer whose --node-timeout is long beside its --ttl.
func observer(l *quorum.Locker, name string) *election.Election {
	return election.New(l, name, election.Options{StopMargin: l.Options().TTL / 10})
}

// watchLeader prints every change of leader that Observe reports, one line each after the time
// it was seen, until ctx ends, and then returns exitOK. Call it once a read of e succeeded:
// Observe gives no reason when it refuses NAME, and skips the reads that fail, so that nodes
// that cannot answer would leave a watch that prints nothing instead of exiting 4.
func watchLeader(ctx context.Context, e *election.Election, stdout, stderr io.Writer) int {
	for ldr := range e.Observe(ctx) {
		fmt.Fprintf(stdout, "%s  %s\n", time.Now().UTC().Format(rfc3339Millis), leaderLine(ldr))
	}
	if ctx.Err() == nil { // Observe stops by itself only on an invalid name or a closed Locker
		fmt.Fprintln(stderr, "quorumlock leader: the watch stopped before it was interrupted")
		return exitUnavailable
	}
	return exitOK
}

// leaderExit maps the outcome of reading who leads (or of dialling the nodes) to an exit code.
func leaderExit(ctx context.Context, err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, election.ErrNoLeader): // the nodes answered, even if ctx has ended since
		return exitNoLeader
	case errors.Is(err, quorum.ErrInvalidName), errors.Is(err, quorum.ErrInvalidOptions),
		errors.Is(err, election.ErrInvalidOptions):
		return exitUsage
	case ctx.Err() != nil: // the nodes' errors are the cancellation's, not theirs
		return exitInterrupted
	}
	return exitUnavailable
}

// leaderFailed prints why leader could not read who leads, naming what the user gave (the nodes'
// setting, NAME) where that is at fault, and returns the exit code.
func leaderFailed(ctx context.Context, cfg nodeConfig, err error, stderr io.Writer) int {
	code := leaderExit(ctx, err)
	switch code {
	case exitInterrupted:
		fmt.Fprintf(stderr, "quorumlock leader: interrupted before the nodes answered: %v\n", context.Cause(ctx))
	case exitUsage:
		fmt.Fprintf(stderr, "quorumlock leader: %v\n", cfg.refusal(err))
	default:
		fmt.Fprintf(stderr, "quorumlock leader: %v\nquorumlock leader: quorumlock doctor, with the same flags, says which nodes fail and why\n", err)
	}
	return code
}

// leaderLine is what leader prints of ldr: "leader ID  token N", or "no leader" for the zero
// Leader.
func leaderLine(ldr election.Leader) string {
	if ldr.IsZero() {
		return "no leader"
	}
	return fmt.Sprintf("leader %s  token %d", shownID(ldr.ID), ldr.Token)
}

// shownID returns id as leader prints it: quoted (strconv.Quote) if it is empty or holds a
// space, a double quote or an unprintable character, so that a line splits into its fields;
// else as it is.
func shownID(id string) string {
	if id == "" || strings.ContainsFunc(id, func(r rune) bool { return r == ' ' || r == '"' || !unicode.IsPrint(r) }) {
		return strconv.Quote(id)
	}
	return id
}
