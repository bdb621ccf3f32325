package main

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"runtime/debug"
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

var allCommands = []string{"run", "doctor", "heal", "leader", "demo", "bench", "check"}

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

func TestHelpCommand(t *testing.T) {
	for _, cmd := range allCommands {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"help", cmd}, &out, &errOut); code != exitOK ||
			!strings.HasPrefix(out.String(), "usage: quorumlock "+cmd+" ") || errOut.Len() != 0 {
			t.Errorf("help %s: exit %d, stderr %q, stdout:\n%s\nwant 0 and %s's help", cmd, code, errOut.String(), out.String(), cmd)
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != exitOK || out.String() != usage {
			t.Errorf("%q: exit %d, stdout:\n%s\nwant 0 and the top-level usage", args, code, out.String())
		}
	}
	for _, args := range [][]string{{"nope"}, {"help", "nope"}, {"help", "run", "extra"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if lines := strings.Split(strings.TrimSpace(errOut.String()), "\n"); code != exitUsage || len(lines) != 2 ||
			lines[1] != "Run 'quorumlock help' for usage." {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant %d, one line and the hint", args, code, errOut.String(), exitUsage)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if code != exitOK || !strings.HasPrefix(out.String(), "quorumlock ") || !strings.Contains(out.String(), runtime.Version()) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 0, the version and %s", args, code, out.String(), errOut.String(), runtime.Version())
		}
	}
}

func TestVersionText(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"tagged module", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"},
			Settings: settings("vcs.revision", "d248d08f", "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "false", "GOOS", "linux", "GOARCH", "amd64")},
			"quorumlock v1.2.3\nrevision d248d08f (2026-12-01T10:00:00Z)\ngo1.26.8 linux/amd64\n"},
		{"checkout with changes", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: settings("vcs.revision", "d248d08f", "vcs.modified", "true")},
			"quorumlock (devel)\nrevision d248d08f, modified\ngo1.26.8\n"},
		{"no VCS, no version", &debug.BuildInfo{GoVersion: "go1.26.8"},
			"quorumlock (devel)\nrevision unknown (not built from a VCS checkout)\ngo1.26.8\n"},
		{"no build information", nil, "quorumlock (devel)\nrevision unknown (not built from a VCS checkout)\n" + runtime.Version() + "\n"},
	}
	for _, tt := range tests {
		if got := versionText(tt.bi); got != tt.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tt.name, got, tt.want)
		}
	}
}
