package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/mutants"

	"github.com/alicebob/miniredis/v2"
)

func TestParseCheckRejects(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--nodes", "http://a:1"}, "--nodes"},
		{[]string{"--nodes", "spawn"}, "--nodes takes redis:// URLs; for redis-server processes started by check: --spawn"},
		{[]string{"--nodes", "in-process"}, "--nodes takes redis:// URLs; in-process nodes are the default (--in-process)"},
		{[]string{"--spawn", "--nodes", "redis://a:1"}, "at most one of --nodes, --spawn and --in-process"},
		{[]string{"--spawn", "--in-process"}, "at most one of --nodes, --spawn and --in-process"},
		{[]string{"--spawn", "5"}, "--spawn takes no number: each scenario draws its nodes (1-7); fix them with --n 5"},
		{[]string{"--runs", "0"}, "--runs 0 needs --duration"},
		{[]string{"--runs", "-2"}, "--runs -2"},
		{[]string{"--n", "8"}, "--n 8"},
		{[]string{"--shrinks", "0"}, "--shrinks 0"},
		{[]string{"--mutant-runs", "0"}, "--mutant-runs 0"},
		{[]string{"--report", "out.txt"}, `--report "out.txt"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--against", "etcd"}, `--against "etcd"`},
	}
	if !mutants.Available() {
		tests = append(tests, struct {
			args []string
			want string
		}{[]string{"--mutants"}, "no mutants"})
	}
	for _, tt := range tests {
		_, err := parseCheck(tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseCheck(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestParseCheckDefaults(t *testing.T) {
	cfg, err := parseCheck([]string{"--duration", "1m"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.campaign; c.Runs != 0 || c.Seed == 0 || c.RealRedis || c.URLs != nil {
		t.Errorf("--duration alone: runs %d (want 0: no limit), seed %d (want one drawn), real %v, urls %v", c.Runs, c.Seed, c.RealRedis, c.URLs)
	}
	cfg, err = parseCheck([]string{"--spawn", "--seed", "9"}, io.Discard)
	if err != nil || !cfg.campaign.RealRedis || cfg.campaign.Seed != 9 || cfg.campaign.Runs != 200 {
		t.Errorf("--spawn --seed 9: %+v, %v", cfg.campaign, err)
	}
	cfg, err = parseCheck([]string{"--in-process"}, io.Discard)
	if err != nil || cfg.campaign.RealRedis || cfg.campaign.URLs != nil {
		t.Errorf("--in-process: %+v, %v", cfg.campaign, err)
	}
	cfg, err = parseCheck([]string{"--nodes", "redis://a:1/0,redis://b:2/0"}, io.Discard)
	if err != nil || cfg.campaign.RealRedis || len(cfg.campaign.URLs) != 2 {
		t.Errorf("--nodes URL,URL: %+v, %v", cfg.campaign, err)
	}
}

// TestCheckWritesReports runs a short campaign and checks the summary and both report formats.
func TestCheckWritesReports(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"report.md", "report.json"} {
		path := filepath.Join(dir, name)
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"check", "--runs", "4", "--seed", "3", "--report", path}, &out, &errOut)
		if code != 0 {
			t.Fatalf("check exited %d\n%s%s", code, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), "token-unique") || !strings.Contains(errOut.String(), "--seed 3") {
			t.Errorf("summary lacks the property table or the seed:\n%s%s", out.String(), errOut.String())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if name == "report.md" {
			if !strings.Contains(string(data), "## Safety campaign") || !strings.Contains(string(data), "| exclusion |") {
				t.Errorf("markdown report:\n%s", data)
			}
			continue
		}
		var rep checkReport
		if err := json.Unmarshal(data, &rep); err != nil || rep.Campaign.Scenarios < 4 || rep.Campaign.Seed != 3 {
			t.Errorf("json report: %v, %d scenarios, seed %d", err, rep.Campaign.Scenarios, rep.Campaign.Seed)
		}
	}
}

// TestCheckOnGivenServersKeepsTheirData: a campaign on servers given by URL touches only its
// own keys and removes them afterwards.
func TestCheckOnGivenServersKeepsTheirData(t *testing.T) {
	var urls []string
	var servers []*miniredis.Miniredis
	for range 3 {
		m := miniredis.RunT(t)
		m.ClockTTL(true) // keys expire on the wall clock, as on a real server
		m.Set("app:data", "precious")
		m.HSet("quorumlock:node", "state", "ok") // a production deployment's marker
		servers = append(servers, m)
		urls = append(urls, "redis://"+m.Addr())
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"check", "--runs", "3", "--seed", "5", "--nodes", strings.Join(urls, ",")}, &out, &errOut)
	if code != 0 {
		t.Fatalf("check exited %d\n%s%s", code, out.String(), errOut.String())
	}
	for i, m := range servers {
		if v, _ := m.Get("app:data"); v != "precious" || m.HGet("quorumlock:node", "state") != "ok" {
			t.Errorf("server %d: foreign keys changed: app:data=%q, marker state %q", i, v, m.HGet("quorumlock:node", "state"))
		}
		for _, k := range m.Keys() {
			if strings.HasPrefix(k, "quorumlock-check:") {
				t.Errorf("server %d: campaign key %q left behind", i, k)
			}
		}
	}
}

func TestCheckReplay(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"check", "--replay", "42"}, &out, &errOut); code != 0 {
		t.Fatalf("replay exited %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "scenario seed=42") || !strings.Contains(out.String(), "no violation") {
		t.Errorf("replay output:\n%s", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"check", "--replay", "{not json"}, &out, &errOut); code != 2 {
		t.Errorf("replay of garbage exited %d, want 2", code)
	}
}

// TestCheckAgainstRedsync: --against redsync puts the peer's column and keys beside ours.
func TestCheckAgainstRedsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.md")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"check", "--runs", "3", "--seed", "4", "--against", "redsync", "--report", path}, &out, &errOut)
	if code != 0 {
		t.Fatalf("check exited %d\n%s%s", code, out.String(), errOut.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"redsync: violations", "n/a | n/a", "Lock keys left behind once every client had closed: ours"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("markdown report lacks %q:\n%s", want, data)
		}
	}
	if !strings.Contains(out.String(), "keys left behind: redsync") {
		t.Errorf("summary lacks redsync's keys left behind:\n%s", out.String())
	}
}

// TestCheckInterruptedIsNotAViolation: a campaign cut short by its context reports that it
// could not finish (exit 3), not a violation of the scenarios it cut.
func TestCheckInterruptedIsNotAViolation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"check", "--duration", "1m", "--seed", "8"}, &out, &errOut); code != 3 {
		t.Fatalf("interrupted check exited %d, want 3\n%s%s", code, out.String(), errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), "VIOLATION") {
		t.Errorf("an interrupted campaign reported a violation:\n%s%s", out.String(), errOut.String())
	}
}
