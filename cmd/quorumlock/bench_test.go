package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quorumlock/quorumlock/bench"
)

func TestParseBenchRejects(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--nodes", "redis://a:1", "--spawn", "3"}, "at most one of"},
		{[]string{"--spawn", "3", "--in-process", "3"}, "at most one of"},
		{[]string{"--spawn", "16"}, "--spawn 16"},
		{[]string{"--in-process", "-1"}, "--in-process -1"},
		{[]string{"--duration", "0s"}, "--duration 0s"},
		{[]string{"--rounds", "0"}, "--rounds 0"},
		{[]string{"--ops", "-5"}, "--ops -5"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--nodes", "redis://a:1,127.0.0.1:6379"}, "--nodes: "},
	}
	for _, tt := range tests {
		_, err := parseBench(tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseBench(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestParseBenchPicksNodes(t *testing.T) {
	cfg, err := parseBench([]string{"--nodes", " redis://a:1/0, redis://b:2/0,,redis://c:3/0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.nodes) != 3 || cfg.nodes[1] != "redis://b:2/0" || cfg.clusterSize() != 3 {
		t.Errorf("nodes = %q, cluster size %d; want 3 URLs, N = 3", cfg.nodes, cfg.clusterSize())
	}
	cfg, err = parseBench(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	spawn := bench.RedisAvailable()
	if (cfg.spawn == 5) != spawn || (cfg.inProcess == 5) == spawn {
		t.Errorf("default: spawn %d, in-process %d; redis-server available: %v", cfg.spawn, cfg.inProcess, spawn)
	}
}

func TestBenchList(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"bench", "--in-process", "5", "--list"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, name := range bench.Names(bench.DefaultScenarios(5)) {
		if !strings.Contains(out.String(), name) {
			t.Errorf("--list lacks %s:\n%s", name, out.String())
		}
	}
}

func TestBenchUnknownScenario(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"bench", "--in-process", "3", "--scenarios", "nope"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), `unknown scenario "nope"`) {
		t.Fatalf("exit %d, stderr %q; want 2 and the unknown name", code, errOut.String())
	}
}

func TestBenchInProcessWritesEveryReport(t *testing.T) {
	dir := t.TempDir()
	jsonPath, mdPath, svgPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md"), filepath.Join(dir, "r.svg")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"bench", "--in-process", "3", "--duration", "20ms", "--rounds", "1",
		"--scenarios", "uncontended,contended-16", "--json", jsonPath, "--markdown", mdPath, "--svg", svgPath}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"uncontended", "contended-16", "ours/redsync", "not representative of real Redis speed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	var rep bench.Report
	if err := json.Unmarshal(readFile(t, jsonPath), &rep); err != nil || len(rep.Scenarios) != 2 || !rep.InProcess {
		t.Errorf("JSON report: %v, %d scenarios, in-process %v", err, len(rep.Scenarios), rep.InProcess)
	}
	if md := string(readFile(t, mdPath)); !strings.Contains(md, "| scenario |") {
		t.Errorf("Markdown report has no table:\n%s", md)
	}
	dec := xml.NewDecoder(bytes.NewReader(readFile(t, svgPath)))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
