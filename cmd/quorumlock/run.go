package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// Exit codes of run (doctor shares 2 and 4). They are documented in runHelp and the README.
const (
	exitOK          = 0
	exitChildFailed = 1 // the command failed (without --child-exit-code)
	exitUsage       = 2 // usage or configuration error
	exitNotAcquired = 3 // held by someone else: not acquired within --wait
	exitUnavailable = 4 // fewer than a majority of nodes answered, or the nodes need quorumlock heal
	exitLeaseLost   = 5 // the lease was lost while the command ran; it was terminated
	exitStartFailed = 6 // the command could not be started
)

const runHelp = `usage: quorumlock run [flags] NAME [flags] -- COMMAND [ARGS...]

Takes the lock NAME on the nodes, runs COMMAND while holding it (the lease is extended in the
background), and releases the lock when COMMAND exits. COMMAND's environment gets:

  QUORUMLOCK_NAME         the name of the lock held: NAME, or NAME/permit/SLOT with --permits
  QUORUMLOCK_TOKEN        the grant's fencing token, a decimal integer greater than every earlier
                          grant's: pass it to the store you write to and let the store refuse
                          older ones, since no lock can stop a holder that paused past its lease
  QUORUMLOCK_VALID_UNTIL  the end of the lease's first validity, RFC 3339 UTC with milliseconds
  QUORUMLOCK_SLOT         the permit's slot, 0 to N-1 (0 without --permits)
  QUORUMLOCK_PERMITS      N, the number of permits (--permits)

With --permits N above 1, NAME is a semaphore of N permits: COMMAND runs under one of them,
so at most N commands run at once across every run of NAME with --permits N (give every one
the same N). Each permit is the lock NAME/permit/SLOT, and QUORUMLOCK_NAME names it: the
token is that lock's, greater than every earlier token of the same slot and unrelated to the
other slots', so fence per QUORUMLOCK_NAME. With --permits 1, the default, NAME is the lock
itself, as without the flag.

COMMAND runs in a process group of its own, so it cannot read from a terminal. SIGINT and
SIGTERM sent to quorumlock are forwarded to that group, and quorumlock waits for COMMAND. If the
lease is lost while COMMAND runs (a majority of the nodes no longer holds it, or it could not be
extended in time), quorumlock sends SIGTERM to the group, SIGKILL after --grace, and exits 5.

If quorumlock itself dies while COMMAND runs, however it dies (SIGKILL, a crash, the OOM killer),
the whole group gets SIGKILL at once, well within the lease's TTL, so that nothing goes on
writing after the lock is gone. A watchdog does it: a second quorumlock process that leads the
group, ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT, and acts when its pipe from quorumlock closes.
When quorumlock ends normally it stops the watchdog, and whatever COMMAND left running in the
background is not killed (unless the lease was lost).

With --wait, run retries while the lock is held or too few nodes answer, and logs why it waits
(held, or unavailable with the nodes that failed) at most once every 5s; failed extensions of
the lease are logged at most as often, each line counting the failures since the last.

A new deployment grants nothing until an operator brings its nodes into service, once:
quorumlock heal --new-deployment. Until then, and whenever more nodes restarted or lost their
data than a majority can spare, run exits 4 at once, even with --wait, and its log says which
heal command to run. A minority of restarted nodes needs nothing: the lock heals them itself.

exit codes:
  0      COMMAND exited 0
  1      COMMAND exited non-zero or was killed by a signal (without --child-exit-code)
  2      usage or configuration error
  3      the lock (with --permits, every permit) is held by someone else: not acquired within
         --wait (at once with --wait 0)
  4      nodes unavailable: fewer than a majority answered (when connecting, or the last attempt),
         or the deployment needs quorumlock heal (at once, whatever --wait)
  5      the lease was lost while COMMAND ran: COMMAND was terminated
  6      COMMAND (or its watchdog) could not be started (not found, not executable)
  128+N  interrupted by signal N before COMMAND started (SIGINT 130, SIGTERM 143)
  With --child-exit-code, COMMAND's own code replaces 0 and 1 (128+N if signal N killed it).

examples:
  quorumlock run --nodes redis://10.0.0.1:6379,redis://10.0.0.2:6379,redis://10.0.0.3:6379 \
      nightly-billing -- ./billing.sh
  QUORUMLOCK_NODES=redis://a:6379,redis://b:6379,redis://c:6379 \
      quorumlock run --wait 10m --grace 30s deploy -- make deploy
  quorumlock run --config /etc/quorumlock.yaml --child-exit-code backup -- \
      sh -c 'backup --fence "$QUORUMLOCK_TOKEN"'

flags:
`

// runConfig holds the run command's arguments.
type runConfig struct {
	name          string
	command       []string
	wait, grace   time.Duration
	childExitCode bool
	permits       int // N of --permits; 1 takes the lock NAME itself
	metricsAddr   string
	logLevel      slog.Level
	cfg           configFlags
}

// parseRun parses "[flags] NAME [flags] -- COMMAND [ARGS...]"; -h prints the help on out.
func parseRun(args []string, out io.Writer) (runConfig, error) {
	rc := runConfig{}
	fs := commandFlags("run", runHelp, out, &rc.cfg, func(fs *flag.FlagSet) {
		fs.DurationVar(&rc.wait, "wait", 0, "how long to wait for the lock, a `duration`; 0 tries once")
		fs.DurationVar(&rc.grace, "grace", 5*time.Second, "after SIGTERM to a command whose lease was lost, wait this long before SIGKILL")
		fs.BoolVar(&rc.childExitCode, "child-exit-code", false, "exit with COMMAND's exit code (128+N if signal N killed it)")
		fs.IntVar(&rc.permits, "permits", 1, "run under one of `N` permits of the semaphore NAME: at most N at once")
		fs.StringVar(&rc.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on http://`HOST:PORT`/metrics while running")
		fs.TextVar(&rc.logLevel, "log-level", slog.LevelInfo, "`level` of the logs on stderr: debug, info, warn or error")
	})
	// Split at the first "--" before the flag package sees it: it would take "--" as the end of
	// the flags and NAME from the command ("run -- true" would name the lock "true").
	dash := slices.Index(args, "--")
	flagArgs := args
	if dash >= 0 {
		flagArgs, rc.command = args[:dash], args[dash+1:]
	}
	if err := parseFlags(fs, flagArgs); err != nil {
		return rc, err
	}
	if fs.NArg() > 0 { // NAME, then more flags
		rc.name = fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return rc, err
		}
	}
	switch {
	case rc.name == "" && dash < 0:
		return rc, errors.New("missing NAME -- COMMAND")
	case rc.name == "":
		return rc, errors.New("missing NAME before --")
	case dash < 0 && fs.NArg() == 0:
		return rc, fmt.Errorf("missing -- COMMAND after NAME %q", rc.name)
	case dash < 0:
		return rc, fmt.Errorf("missing -- between NAME %q and COMMAND %q", rc.name, fs.Arg(0))
	case fs.NArg() > 0:
		return rc, fmt.Errorf("unexpected argument %q between NAME and --", fs.Arg(0))
	case len(rc.command) == 0:
		return rc, errors.New("missing COMMAND after --")
	case rc.wait < 0:
		return rc, fmt.Errorf("--wait %v: want 0 or more", rc.wait)
	case rc.grace < 0:
		return rc, fmt.Errorf("--grace %v: want 0 or more", rc.grace)
	case rc.permits < 1:
		return rc, fmt.Errorf("--permits %d: want 1 or more", rc.permits)
	}
	return rc, nil
}

// runRun is the run command. It handles SIGINT and SIGTERM itself (it must outlive them while
// the command runs, to forward them), so it does not follow ctx, which main cancels on them.
func runRun(_ context.Context, args []string, stdout, stderr io.Writer) int {
	rc, err := parseRun(args, stdout)
	if err != nil {
		return usageExit("run", err, stderr)
	}
	cfg, opts, err := rc.config()
	if err != nil {
		fmt.Fprintf(stderr, "quorumlock run: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: rc.logLevel}))
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	rec := &attemptRecorder{log: log, wait: rc.wait > 0}
	if rc.metricsAddr != "" {
		m, err := serveMetrics(rc.metricsAddr, log)
		if err != nil {
			fmt.Fprintf(stderr, "quorumlock run: --metrics-addr: %v\n", err)
			return exitUsage
		}
		defer m.stop()
		rec.next = m.observer
	}
	opts.Observer = rec
	l, le, err := rc.acquire(cfg.nodes, opts, sigs, log)
	if l != nil {
		defer l.Close()
	}
	if err == nil {
		return rc.supervise(le, sigs, stdout, stderr, log)
	}
	code := acquireExit(err, rec.last())
	if code == exitUsage { // the nodes or NAME, refused before any attempt: not "not acquired"
		fmt.Fprintf(stderr, "quorumlock run: %v\n", cfg.refusal(err))
		return code
	}
	rc.logNotAcquired(l, err, code, log)
	return code
}

// config merges the configuration and checks the options it gives, as Dial would.
func (rc runConfig) config() (nodeConfig, quorum.Options, error) {
	cfg, err := rc.cfg.load(os.Getenv)
	if err != nil {
		return cfg, quorum.Options{}, err
	}
	opts, err := cfg.options()
	if err == nil {
		err = cfg.checkOptions(opts)
	}
	return cfg, opts, err
}

// signalError is the cause of an acquisition cancelled by a signal.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "interrupted by " + e.sig.String() }

// exitCode returns 128+N for signal N.
func (e signalError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGTERM)
}

// acquire connects to the nodes and takes the lock, giving up at the first SIGINT or SIGTERM.
// It returns the Locker (if Dial succeeded, even when the lock was not taken: the caller closes
// it) and the lease, or the error.
func (rc runConfig) acquire(nodes []string, opts quorum.Options, sigs <-chan os.Signal, log *slog.Logger) (*quorum.Locker, *quorum.Lease, error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stop, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case s := <-sigs:
			cancel(signalError{s})
		case <-stop:
		}
	}()
	l, le, err := rc.dialAndTake(ctx, nodes, opts)
	close(stop)
	<-watched
	var se signalError
	if errors.As(context.Cause(ctx), &se) { // also when the signal came just after the grant
		if le != nil {
			release(le, log)
		}
		err = se
	}
	if err != nil {
		return l, nil, err
	}
	log.Info("acquired", append([]any{"name", rc.name, "token", le.Token(), "valid_until", validUntil(le)}, rc.permitAttrs(le)...)...)
	return l, le, nil
}

// logNotAcquired logs why the lock was not taken (held, unavailable, the deployment needs heal,
// interrupted); l is the Locker if Dial succeeded, else nil.
func (rc runConfig) logNotAcquired(l *quorum.Locker, err error, code int, log *slog.Logger) {
	level, msg, attrs := slog.LevelError, "not acquired", []any{"name", rc.name}
	switch {
	case code == exitNotAcquired:
		level = slog.LevelWarn // someone else holds it: the lock at work
	case errors.Is(err, quorum.ErrNeedsHeal) && l != nil:
		msg = "not acquired: the deployment needs an operator"
		attrs = append(attrs, healAdvice(l)...)
	}
	log.Log(context.Background(), level, msg, append(attrs, "err", err, "exit", code)...)
}

// dialAndTake connects to the nodes and makes one attempt (--wait 0) or retries for --wait.
func (rc runConfig) dialAndTake(ctx context.Context, nodes []string, opts quorum.Options) (*quorum.Locker, *quorum.Lease, error) {
	l, err := quorum.Dial(ctx, nodes, opts)
	if err != nil {
		return nil, nil, err
	}
	if rc.permits > 1 {
		le, err := rc.takePermit(ctx, l)
		return l, le, err
	}
	var le *quorum.Lease
	if rc.wait == 0 {
		le, err = l.TryAcquire(ctx, rc.name)
	} else {
		wctx, cancel := context.WithTimeout(ctx, rc.wait)
		le, err = l.Acquire(wctx, rc.name)
		cancel()
	}
	return l, le, err
}

// acquireExit maps a failure to take the lock to an exit code; last is the outcome of the last
// attempt that ran to its end, which tells "held" from "unavailable" when --wait ran out.
func acquireExit(err, last error) int {
	var se signalError
	switch {
	case errors.As(err, &se):
		return se.exitCode()
	case errors.Is(err, quorum.ErrInvalidName), errors.Is(err, quorum.ErrInvalidOptions):
		return exitUsage
	case errors.Is(err, quorum.ErrNeedsHeal): // Acquire returns it at once: waiting cannot help
		return exitUnavailable
	case errors.Is(err, quorum.ErrNotAcquired):
		return exitNotAcquired
	case errors.Is(err, quorum.ErrUnavailable): // before the deadline: node errors may wrap it
		return exitUnavailable
	case errors.Is(err, context.DeadlineExceeded) && !errors.Is(last, quorum.ErrUnavailable):
		return exitNotAcquired
	}
	return exitUnavailable
}

// healAdvice reads the nodes' states (as heal --dry-run does) and returns the log attributes
// that say which heal command brings the deployment back, and why.
func healAdvice(l *quorum.Locker) []any {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	plan, _ := l.Heal(ctx, quorum.HealOptions{DryRun: true}) // refused or not, it says what it read
	c := healCensus(plan.Nodes)
	attrs := []any{"run", c.healCommand()}
	if c.looksNew() {
		attrs = append(attrs, "hint", newHint(recoveryWait(plan.Nodes, quorum.DefaultClockSkew)))
	}
	return attrs
}

// supervise runs the command while the lease is kept extended, releases the lease when the
// command has exited, and returns the exit code.
func (rc runConfig) supervise(le *quorum.Lease, sigs <-chan os.Signal, stdout, stderr io.Writer, log *slog.Logger) int {
	le.AutoExtend()
	c, err := startChild(rc.command, append(childEnv(le), rc.permitEnv(le)...), stdout, stderr)
	if err != nil {
		log.Error("command could not be started", "command", rc.command[0], "err", err)
		release(le, log)
		return exitStartFailed
	}
	defer c.wd.stop() // after the release: should run die before, the group is still killed
	log.Info("command started", "pid", c.cmd.Process.Pid, "pgid", c.wd.pgid(), "command", rc.command[0])
	lost := c.wait(le, sigs, rc.grace, log)
	code := exitCode(c.cmd.ProcessState)
	log.Info("command exited", "code", code)
	release(le, log)
	switch {
	case lost:
		return exitLeaseLost
	case rc.childExitCode:
		return code
	case code != 0:
		return exitChildFailed
	}
	return exitOK
}

// childEnv returns this process's environment with the lease's variables added.
func childEnv(le *quorum.Lease) []string {
	return append(os.Environ(),
		"QUORUMLOCK_NAME="+le.Name(),
		"QUORUMLOCK_TOKEN="+le.Token().String(),
		"QUORUMLOCK_VALID_UNTIL="+validUntil(le))
}

// validUntil formats the lease's validity as RFC 3339 UTC wall time with milliseconds.
func validUntil(le *quorum.Lease) string {
	return le.ValidUntil().UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// release releases the lease; a failure only delays the next grant until the keys expire.
func release(le *quorum.Lease, log *slog.Logger) {
	if err := le.Release(context.Background()); err != nil {
		log.Warn("release failed; the lock frees itself when its keys expire", "err", err)
		return
	}
	log.Info("released", "name", le.Name())
}
