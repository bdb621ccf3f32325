// Command quorumlock runs and inspects fenced quorum locks over independent Redis servers.
//
//	quorumlock run [flags] NAME -- COMMAND [ARGS...]
//	                            run COMMAND while holding the lock NAME, with its fencing token
//	quorumlock doctor [flags]   inspect the nodes and say what the deployment guarantees
//	quorumlock heal [flags]     bring into service nodes that cannot heal by themselves (new, or a majority lost)
//	quorumlock leader [flags] NAME
//	                            print who leads the election NAME (the leader's ID, its term's token),
//	                            or with --watch every change of leader until interrupted
//	quorumlock demo [flags]     contending workers on in-process nodes, printing grants and tokens
//	quorumlock bench [flags]    quorumlock beside redsync on the same Redis nodes: speed and leftovers
//	quorumlock check [flags]    the safety campaign: generated fault histories, every one checked
//
// run, doctor, heal and leader take their nodes and options from flags, QUORUMLOCK_* environment
// variables and a YAML file (--config), in that order of precedence. Run "quorumlock help
// COMMAND" (or "quorumlock COMMAND -h") for a command's flags, exit codes and examples, and
// "quorumlock version" for the version, the VCS revision and the Go version it was built with.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

const usage = `usage: quorumlock COMMAND [flags]

commands:
  run     run a command while holding a lock: quorumlock run [flags] NAME -- COMMAND [ARGS...]
  doctor  inspect the nodes and say what the deployment does and does not guarantee
  heal    bring the nodes into service: a new deployment, or after a majority restarted or lost data
  leader  print who leads an election and its term's token: quorumlock leader [--watch] NAME
  demo    start in-process nodes and let contending workers take a fenced lock
  bench   measure quorumlock beside redsync on the same Redis nodes
  check   run the safety campaign: faults injected, every history checked

  help    print this, or a command's flags, exit codes and examples: quorumlock help COMMAND
  version print the version, the VCS revision built from, and the Go version

Run "quorumlock help COMMAND" or "quorumlock COMMAND -h" for a command's flags, exit codes and
examples.

examples:
  quorumlock doctor --nodes redis://10.0.0.1:6379,redis://10.0.0.2:6379,redis://10.0.0.3:6379
  QUORUMLOCK_NODES=redis://10.0.0.1:6379,redis://10.0.0.2:6379,redis://10.0.0.3:6379 \
      quorumlock run --wait 1m nightly-billing -- ./billing.sh
  quorumlock heal --new-deployment --config /etc/quorumlock.yaml
  quorumlock demo
`

func main() {
	silenceGoRedis()
	if os.Getenv(watchdogEnv) != "" {
		os.Exit(watchdogMain(os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// silenceGoRedis turns off go-redis's global logger, which prints every failed dial ("pool.go:770:
// ... failed to dial after 5 attempts") on stderr between the command's own lines. go-redis
// clients remain in bench (redsync's pools, admin clients), in proptest's helpers and in check's
// peer; each failure they meet is reported by the command itself. Package bench leaves the logger
// alone (a library must not change a global behind its user's back), so the command does it here.
func silenceGoRedis() { redis.SetLogger(&logging.VoidLogger{}) }

// commands maps each command to the function that runs it and returns its exit code.
var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{
	"run":    runRun,
	"doctor": runDoctor,
	"heal":   runHeal,
	"leader": runLeader,
	"demo":   runDemo,
	"bench":  runBench,
	"check":  runCheck,
}

// run dispatches to a command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprint(stdout, versionText(buildInfo()))
		return exitOK
	}
	return topUsageError(fmt.Sprintf("unknown command %q", args[0]), stderr)
}

// help prints the top-level usage, or with one argument that command's help.
func help(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, usage)
		return exitOK
	case len(args) > 1:
		return topUsageError(fmt.Sprintf("help: want one COMMAND, got %q", args), stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return topUsageError(fmt.Sprintf("help: unknown command %q", args[0]), stderr)
	}
	return cmd(ctx, []string{"-h"}, stdout, stderr)
}

// topUsageError prints a mistake in the command line before any command, and the hint.
func topUsageError(msg string, stderr io.Writer) int {
	fmt.Fprintf(stderr, "quorumlock: %s\nRun 'quorumlock help' for usage.\n", msg)
	return exitUsage
}
