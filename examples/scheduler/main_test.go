package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// fastArgs are the example's durations for the test: the whole story takes about 3 s.
var fastArgs = []string{"-ttl", "500ms", "-tick", "50ms", "-phase", "800ms"}

func TestScheduler(t *testing.T) {
	var out, errOut bytes.Buffer
	code := realMain(fastArgs, &out, &errOut)
	t.Logf("scheduler %s:\n%s%s", strings.Join(fastArgs, " "), out.String(), errOut.String())
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, c := range []string{
		"tokens strictly increase from term to term",
		"one leader at a time: each term began after the one before ended",
		"every job is in the queue, by the leader of its term, tokens never decreasing",
		"a handover after the leader left, a takeover after the crash",
		"the observer saw the leaders in term order, a vacancy between each two",
	} {
		if !strings.Contains(out.String(), "check  "+c+": ok") {
			t.Errorf("check %q did not pass", c)
		}
	}
	for _, want := range []string{"brought into service as a new deployment", "leaves", "handover to", "kill -9", "took over", "observer      nobody leads"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the timeline lacks %q", want)
		}
	}
	if terms := regexp.MustCompile(`(?m)^    token \d+  scheduler-\d`).FindAllString(out.String(), -1); len(terms) < 3 {
		t.Errorf("%d terms in the summary, want at least 3", len(terms))
	}
}

func TestSchedulerFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := realMain([]string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "example") {
		t.Errorf("-h: exit %d, want 0 and the usage with an example:\n%s", code, errOut.String())
	}
	for _, args := range [][]string{{"-ttl", "10ms"}, {"-tick", "0"}, {"-phase", "1ms"}, {"extra"}, {"-ttl", "1s", "-step-timeout", "1s"}} {
		errOut.Reset()
		if code := realMain(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and why", args, code, errOut.String())
		}
	}
}
