package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fastArgs are the example's durations for the test: the whole run takes about 2.5 s.
var fastArgs = []string{"-ttl", "500ms", "-export", "100ms", "-stall", "1200ms", "-run", "2s"}

func TestExporter(t *testing.T) {
	var out, errOut bytes.Buffer
	start := time.Now()
	code := realMain(fastArgs, &out, &errOut)
	t.Logf("exporter %s (%v, exit %d):\n%s%s", strings.Join(fastArgs, " "), time.Since(start), code, out.String(), errOut.String())
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, c := range []string{"never more than 3 exports ran at once", "the store accepted no stale write",
		"the stalled worker's write was refused as stale", "every write was accepted or refused as stale"} {
		if !strings.Contains(out.String(), "check  "+c+": ok") {
			t.Errorf("check %q did not pass", c)
		}
	}
	m := regexp.MustCompile(`most exports running at once with a valid permit: (\d+) of 3`).FindStringSubmatch(out.String())
	if most, _ := strconv.Atoi(m[1]); m == nil || most > 3 {
		t.Errorf("the summary does not say at most 3 ran at once: %v", m)
	}
	if !strings.Contains(out.String(), "takes over from worker 1") || !strings.Contains(out.String(), "REFUSED") {
		t.Error("the timeline does not show the takeover of the stalled worker's slot and its write refused")
	}
}

func TestExporterFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"-h"}, 0},
		{[]string{"-ttl", "1s", "-stall", "1s"}, 2},
		{[]string{"-workers", "3", "-permits", "3"}, 2},
		{[]string{"extra"}, 2},
	} {
		var out, errOut bytes.Buffer
		if code := realMain(tt.args, &out, &errOut); code != tt.code {
			t.Errorf("%q: exit %d, want %d; stderr:\n%s", tt.args, code, tt.code, errOut.String())
		}
	}
}
