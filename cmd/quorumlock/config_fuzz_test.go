package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"gopkg.in/yaml.v3"
)

// FuzzConfig: any YAML file and QUORUMLOCK_* values load into a configuration or an error each of
// whose lines names where the bad value came from (the file and line, or the variable); an
// accepted configuration has nodes that quorum accepts, settings in range, the environment's
// values over the file's, and the file's values as YAML means them.
func FuzzConfig(f *testing.F) {
	for _, s := range []struct{ file, nodes, ttl, drift, prefix string }{
		{"nodes:\n  - redis://file-a:6379\n  - redis://file-b:6379/2\n  - rediss://file-c:6380\nkey_prefix: \"file:\"\nttl: 3s\n", "", "", "", ""},
		{"nodes: redis://x:1,redis://y:2\ndrift_factor: 0.2\nnode_timeout: 1s\n", "redis://env:1", "5s", "0.1", "env:"},
		{"nodes: [redis://x:1]\nttl:\ntls:\n", "", "", "", ""},
		{"tls:\n  server_name: x\n  ca: ca.pem\n", "", "soon", "lots", ""},
		{"ttl: 1s\nkey_prefix: a\nttl: 2s\n", "redis://a:1,,", "", "NaN", ""},
		{"- redis://a:1\n", "http://user:s3cret@a:1", "", "", ""},
		{"tls: yes\n", "", "-1s", "0.5", strings.Repeat("k", 129)},
		{"ttl: [1s\n", "", "", "", ""},
		{"nodes:\n  - redis://a:1,redis://b:2\n", "", "", "", ""},
		{"tls:\n  cert_file: c.pem\n", "redis://a:1", "", "", ""},
		{"base: &b {ttl: 1s}\n<<: *b\n", "", "", "", ""},
		{"nodes: [redis://a:1/x]\n", "redis://a:1?dial_timeout=1s", "", "", ""}, // quorum refuses these URLs
		// An alias key was read as its anchor's name ("ttl"), not as the key it stands for.
		{"nodes: [redis://a:1]\ntls:\n  server_name: &ttl node_timeout\n*ttl : 5s\n", "", "", "", ""},
		// A !!binary value was read as its base64 text.
		{"nodes: [redis://a:1]\nkey_prefix: !!binary YXBwOg==\n", "", "", "", ""},
		{"nodes: [redis://a:1]\nkey_prefix: !!str app:\nttl: !!int 5\n", "", "", "", ""},
	} {
		f.Add([]byte(s.file), s.nodes, s.ttl, s.drift, s.prefix)
	}
	f.Fuzz(func(t *testing.T, file []byte, nodes, ttl, drift, prefix string) {
		path := filepath.Join(t.TempDir(), "q.yaml")
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{envConfig: path, "QUORUMLOCK_NODES": nodes, "QUORUMLOCK_TTL": ttl,
			"QUORUMLOCK_DRIFT_FACTOR": drift, "QUORUMLOCK_KEY_PREFIX": prefix}
		var cf configFlags
		c, err := cf.load(func(k string) string { return env[k] })
		if err != nil {
			checkConfigError(t, path, err)
			return
		}
		checkAccepted(t, c)
		checkPrecedence(t, c, env, file)
	})
}

// checkConfigError: every line of the error starts with where the value came from.
func checkConfigError(t *testing.T, path string, err error) {
	t.Helper()
	for _, line := range strings.Split(err.Error(), "\n") {
		rest, inFile := strings.CutPrefix(line, path+":")
		switch {
		case inFile && (strings.HasPrefix(rest, " yaml: ") || rest != "" && rest[0] >= '0' && rest[0] <= '9'):
		case strings.HasPrefix(line, "QUORUMLOCK_"), strings.HasPrefix(line, "no nodes: "):
		default:
			t.Fatalf("error line %q names neither the file and line nor the variable (whole error: %v)", line, err)
		}
	}
}

// checkAccepted: the nodes are URLs that quorum accepts, and every setting is in range.
func checkAccepted(t *testing.T, c nodeConfig) {
	t.Helper()
	if len(c.nodes) == 0 {
		t.Fatal("accepted a configuration without nodes")
	}
	for _, u := range c.nodes {
		if err := quorum.CheckNodeURL(u); err != nil {
			t.Fatalf("accepted node %q, which quorum refuses: %v", u, err)
		}
	}
	if !(c.driftFactor >= 0 && c.driftFactor < 0.5) || c.ttl < 0 || c.nodeTimeout < 0 || c.quarantine < 0 || len(c.keyPrefix) > 128 {
		t.Fatalf("accepted out-of-range settings: %+v", c)
	}
}

// checkPrecedence: a variable that is set wins; otherwise a top-level setting of the file is
// what yaml.v3 itself decodes it to.
func checkPrecedence(t *testing.T, c nodeConfig, env map[string]string, file []byte) {
	t.Helper()
	var m map[string]any
	if yaml.Unmarshal(file, &m) != nil {
		m = nil
	}
	durations := map[string]time.Duration{"ttl": c.ttl, "node_timeout": c.nodeTimeout, "quarantine": c.quarantine}
	for key, got := range durations {
		want, fromEnv := time.Duration(0), env["QUORUMLOCK_"+strings.ToUpper(key)]
		switch s, inFile := m[key].(string); {
		case fromEnv != "":
			want, _ = time.ParseDuration(fromEnv)
		case inFile:
			want, _ = time.ParseDuration(s)
		case m[key] != nil:
			continue // not a string in the file: refused, or read as its YAML text
		}
		if got != want {
			t.Fatalf("%s is %v, want %v (environment %q, file %#v)", key, got, want, fromEnv, m[key])
		}
	}
	if d := env["QUORUMLOCK_DRIFT_FACTOR"]; d != "" {
		if want, _ := strconv.ParseFloat(d, 64); c.driftFactor != want {
			t.Fatalf("drift factor %v, want %v from the environment", c.driftFactor, want)
		}
	}
	want, fromFile := m["key_prefix"].(string)
	if p := env["QUORUMLOCK_KEY_PREFIX"]; p != "" {
		want, fromFile = p, true
	}
	if fromFile && c.keyPrefix != want || !fromFile && m["key_prefix"] == nil && c.keyPrefix != "" {
		t.Fatalf("key prefix %q, want %q (file %#v)", c.keyPrefix, want, m["key_prefix"])
	}
}
