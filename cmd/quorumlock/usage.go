package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseFlags parses args with fs without letting the flag package print anything: it would print
// the error, then the whole help, for every mistake. On -h or --help parseFlags calls fs.Usage
// (which prints the help where it was told: stdout, since the help was asked for) and returns
// flag.ErrHelp; any other error is returned for usageExit to print as one line.
func parseFlags(fs *flag.FlagSet, args []string) error {
	help := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = help
	if errors.Is(err, flag.ErrHelp) {
		help()
	}
	return err
}

// usageExit reports a usage error of the command cmd and returns the exit code: 0 for
// flag.ErrHelp (the help was printed), else 2 after the error and a hint, on stderr.
func usageExit(cmd string, err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "quorumlock %s: %v\nRun 'quorumlock %s -h' for usage.\n", cmd, err, cmd)
	return exitUsage
}
