//go:build quorumlock_mutants

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCheckReportsAViolation: with a mutant that deletes without comparing, check exits 1 and
// prints the property that caught it and the command that replays the scenario.
func TestCheckReportsAViolation(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"check", "--mutant", "blind-release", "--runs", "60", "--seed", "1", "--shrinks", "2"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("check exited %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(errOut.String(), "VIOLATION of") || !strings.Contains(errOut.String(), "--replay ") {
		t.Errorf("stderr lacks the violation or the replay command:\n%s", errOut.String())
	}
}
