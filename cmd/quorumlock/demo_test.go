package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func TestDemoPrintsIncreasingTokensAndRefusesTheStaleHolder(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo", "--in-process", "3", "--workers", "3", "--grants", "5"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 8 { // header, the nodes brought into service, 5 grants, the stale write
		t.Fatalf("output:\n%s", out.String())
	}
	if !strings.Contains(lines[1], "brought the 3 new nodes into service") {
		t.Fatalf("the demo does not say it brought its new nodes into service: %s", lines[1])
	}
	var last string
	for _, l := range lines[2:7] {
		tok := l[strings.LastIndex(l, " ")+1:]
		if len(tok) < len(last) || len(tok) == len(last) && tok <= last {
			t.Fatalf("tokens not increasing: %s after %s", tok, last)
		}
		last = tok
	}
	if !strings.Contains(lines[7], "stale token") {
		t.Fatalf("the stale holder was not refused: %s", lines[7])
	}
}

func TestBadInputExitsWithUsageError(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"demo", "--in-process", "0"}, {"demo", "--nodes", "3"}, {"demo", "extra"}, {"demo", "-grants", "x"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, errOut.String())
		}
	}
}

// TestDemoNodesIsNotACount: --nodes takes URLs in every command; the demo's count of in-process
// nodes is --in-process, and the old form says so.
func TestDemoNodesIsNotACount(t *testing.T) {
	_, err := parseDemo([]string{"--nodes", "3"}, io.Discard)
	if want := "--nodes 3: the demo runs on in-process nodes only: give their number with --in-process 3"; err == nil || err.Error() != want {
		t.Errorf("demo --nodes 3: %v; want %q", err, want)
	}
	cfg, err := parseDemo([]string{"--in-process", "7"}, io.Discard)
	if err != nil || cfg.nodes != 7 {
		t.Errorf("demo --in-process 7: %+v, %v", cfg, err)
	}
}
