package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// cliEnv makes the test binary run main instead of the tests, so that the tests can run the
// quorumlock command as a separate process without building it.
const cliEnv = "QUORUMLOCK_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		main() // exits
	}
	silenceGoRedis() // as main does, for the commands the tests run in this process
	os.Exit(m.Run())
}

// TestGoRedisLogsNothing runs bench on nodes that refuse every connection: redsync's go-redis
// clients fail to dial, and go-redis would log each failure on stderr beside the command's own
// error unless main silenced its logger.
func TestGoRedisLogsNothing(t *testing.T) {
	code, stderr := cli(t, t.TempDir(), "bench", "--nodes", strings.Join(closedURLs(t, 3), ","),
		"--duration", "100ms", "--rounds", "1", "--scenarios", "uncontended")
	if code != 1 || !strings.Contains(stderr, "connection refused") {
		t.Fatalf("exit %d; want 1 and the refused connection named; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "connection pool") || strings.Contains(stderr, "pool.go") {
		t.Errorf("go-redis logged on stderr:\n%s", stderr)
	}
}

var allCommands = []string{"run", "doctor", "heal", "demo", "bench", "check"}

// TestUsageErrorIsOneLineAndAHint: a mistake in the flags gets the error and where to read the
// help, not eighty lines of help with the error before and after them.
func TestUsageErrorIsOneLineAndAHint(t *testing.T) {
	for _, cmd := range allCommands {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{cmd, "-x"}, &out, &errOut)
		want := "quorumlock " + cmd + ": flag provided but not defined: -x\nRun 'quorumlock " + cmd + " -h' for usage.\n"
		if code != exitUsage || errOut.String() != want || out.Len() != 0 {
			t.Errorf("%s -x: exit %d, stdout %q, stderr:\n%s\nwant exit %d and stderr:\n%s", cmd, code, out.String(), errOut.String(), exitUsage, want)
		}
	}
}

// TestHelpFlagPrintsTheHelp: -h and --help print the command's help on stdout and exit 0.
func TestHelpFlagPrintsTheHelp(t *testing.T) {
	for _, cmd := range allCommands {
		for _, h := range []string{"-h", "--help"} {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{cmd, h}, &out, &errOut)
			if code != exitOK || !strings.HasPrefix(out.String(), "usage: quorumlock "+cmd) || !strings.Contains(out.String(), "\n  -") || errOut.Len() != 0 {
				t.Errorf("%s %s: exit %d, stderr %q, stdout:\n%s\nwant 0 and the help, flags included, on stdout", cmd, h, code, errOut.String(), out.String())
			}
		}
	}
}
