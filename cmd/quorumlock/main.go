// Command quorumlock runs and inspects fenced quorum locks over independent Redis servers.
//
//	quorumlock run [flags] NAME -- COMMAND [ARGS...]
//	                            run COMMAND while holding the lock NAME, with its fencing token
//	quorumlock doctor [flags]   inspect the nodes and say what the deployment guarantees
//	quorumlock heal [flags]     bring into service nodes that cannot heal by themselves (new, or a majority lost)
//	quorumlock demo [flags]     contending workers on in-process nodes, printing grants and tokens
//	quorumlock bench [flags]    quorumlock beside redsync on the same Redis nodes: speed and leftovers
//	quorumlock check [flags]    the safety campaign: generated fault histories, every one checked
//
// run, doctor and heal take their nodes and options from flags, QUORUMLOCK_* environment variables and
// a YAML file (--config), in that order of precedence. Run "quorumlock COMMAND -h" for a
// command's flags, exit codes and examples.
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
  demo    start in-process nodes and let contending workers take a fenced lock
  bench   measure quorumlock beside redsync on the same Redis nodes
  check   run the safety campaign: faults injected, every history checked

Run "quorumlock COMMAND -h" for a command's flags, exit codes and examples.

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

// run dispatches to a command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runRun(ctx, args[1:], stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args[1:], stdout, stderr)
	case "heal":
		return runHeal(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "quorumlock: unknown command %q\n%s", args[0], usage)
	return 2
}
