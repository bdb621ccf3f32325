// Command quorumlock runs and inspects fenced quorum locks over independent Redis servers.
//
//	quorumlock demo [flags]     contending workers on in-process nodes, printing grants and tokens
//	quorumlock bench [flags]    quorumlock beside redsync on the same Redis nodes: speed and leftovers
//
// Run "quorumlock COMMAND -h" for a command's flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: quorumlock COMMAND [flags]

commands:
  demo    start in-process nodes and let contending workers take a fenced lock
  bench   measure quorumlock beside redsync on the same Redis nodes
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "quorumlock: unknown command %q\n%s", args[0], usage)
	return 2
}
