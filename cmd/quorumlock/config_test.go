package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// loadArgs parses args as a command's flags would be, with env as the whole environment, and
// loads the configuration. "$DIR" in args and env stands for dir.
func loadArgs(dir string, args []string, env map[string]string) (nodeConfig, error) {
	var cf configFlags
	fs := commandFlags("test", "", io.Discard, &cf, func(*flag.FlagSet) {})
	for i := range args {
		args[i] = strings.ReplaceAll(args[i], "$DIR", dir)
	}
	if err := fs.Parse(args); err != nil {
		return nodeConfig{}, err
	}
	return cf.load(func(k string) string { return strings.ReplaceAll(env[k], "$DIR", dir) })
}

// writeConfig writes a YAML file named q.yaml into a new directory and returns the directory.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if yaml != "" {
		if err := os.WriteFile(filepath.Join(dir, "q.yaml"), []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const fullFile = `# every setting
nodes:
  - redis://file-a:6379
  - redis://file-b:6379/2
  - rediss://file-c:6380
key_prefix: "file:"
ttl: 30s
drift_factor: 0.02
node_timeout: 200ms
quarantine: 1m
tls:
  server_name: file.example
`

func TestConfigPrecedence(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		args []string
		want nodeConfig
	}{
		{name: "flags only, quorum's defaults elsewhere", args: []string{"--nodes", "redis://a:1, redis://b:2,,redis://c:3"},
			want: nodeConfig{nodes: []string{"redis://a:1", "redis://b:2", "redis://c:3"}}},
		{name: "file only", file: fullFile, args: []string{"--config", "$DIR/q.yaml"},
			want: nodeConfig{nodes: []string{"redis://file-a:6379", "redis://file-b:6379/2", "rediss://file-c:6380"}, keyPrefix: "file:",
				ttl: 30 * time.Second, driftFactor: 0.02, nodeTimeout: 200 * time.Millisecond, quarantine: time.Minute, tls: tlsFiles{serverName: "file.example"}}},
		{name: "environment over file", file: fullFile, args: []string{"--config", "$DIR/q.yaml"},
			env: map[string]string{"QUORUMLOCK_TTL": "5s", "QUORUMLOCK_NODES": "redis://env:1", "QUORUMLOCK_TLS_SERVER_NAME": "env.example",
				"QUORUMLOCK_QUARANTINE": "90s"},
			want: nodeConfig{nodes: []string{"redis://env:1"}, keyPrefix: "file:",
				ttl: 5 * time.Second, driftFactor: 0.02, nodeTimeout: 200 * time.Millisecond, quarantine: 90 * time.Second, tls: tlsFiles{serverName: "env.example"}}},
		{name: "flags over environment over file", file: fullFile,
			env:  map[string]string{"QUORUMLOCK_CONFIG": "$DIR/q.yaml", "QUORUMLOCK_TTL": "5s", "QUORUMLOCK_KEY_PREFIX": "env:"},
			args: []string{"--ttl", "7s", "--drift-factor", "0.1", "--tls-insecure-skip-verify", "--quarantine", "2m"},
			want: nodeConfig{nodes: []string{"redis://file-a:6379", "redis://file-b:6379/2", "rediss://file-c:6380"}, keyPrefix: "env:",
				ttl: 7 * time.Second, driftFactor: 0.1, nodeTimeout: 200 * time.Millisecond, quarantine: 2 * time.Minute,
				tls: tlsFiles{serverName: "file.example", insecureSkipVerify: true}}},
		{name: "--config over QUORUMLOCK_CONFIG", file: "nodes: redis://x:1,redis://y:2\n",
			env:  map[string]string{"QUORUMLOCK_CONFIG": "$DIR/missing.yaml"},
			args: []string{"--config", "$DIR/q.yaml"},
			want: nodeConfig{nodes: []string{"redis://x:1", "redis://y:2"}}},
		{name: "a key without a value is unset", file: "nodes: [redis://x:1]\nttl:\ntls:\n",
			args: []string{"--config", "$DIR/q.yaml"}, env: map[string]string{"QUORUMLOCK_NODE_TIMEOUT": "1s"},
			want: nodeConfig{nodes: []string{"redis://x:1"}, nodeTimeout: time.Second}},
		{name: "an empty file sets nothing", file: "# nothing yet\n", args: []string{"--config", "$DIR/q.yaml", "--nodes", "redis://f:1"},
			want: nodeConfig{nodes: []string{"redis://f:1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadArgs(writeConfig(t, tt.file), tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			got.from = nil
			if !slices.Equal(got.nodes, tt.want.nodes) || got.keyPrefix != tt.want.keyPrefix || got.ttl != tt.want.ttl ||
				got.driftFactor != tt.want.driftFactor || got.nodeTimeout != tt.want.nodeTimeout || got.quarantine != tt.want.quarantine ||
				got.tls != tt.want.tls {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestConfigErrorsNameTheFieldAndLine(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		args       []string // default: --config $DIR/q.yaml
		want       string
	}{
		{name: "unknown field", file: "nodes: [redis://a:1]\ntll: 1s\n", want: `q.yaml:2: unknown field "tll" (known: nodes, key_prefix, ttl, drift_factor, node_timeout, quarantine, tls)`},
		{name: "unknown tls field", file: "tls:\n  server_name: x\n  ca: ca.pem\n", want: `q.yaml:3: unknown field "tls.ca" (known: ca_file, cert_file, key_file, server_name, insecure_skip_verify)`},
		{name: "duration without unit", file: "\nttl: 10\n", want: `q.yaml:2: ttl: invalid duration "10": want a Go duration`},
		{name: "negative duration", file: "node_timeout: -1s\n", want: "q.yaml:1: node_timeout: -1s: must be positive"},
		{name: "zero quarantine", file: "quarantine: 0s\n", want: "q.yaml:1: quarantine: 0s: must be positive"},
		{name: "drift factor out of range", file: "drift_factor: 0.7\n", want: "q.yaml:1: drift_factor: 0.7: must be in [0, 0.5)"},
		{name: "drift factor not a number", file: "drift_factor: lots\n", want: `q.yaml:1: drift_factor: invalid number "lots"`},
		{name: "bad boolean", file: "tls:\n  insecure_skip_verify: maybe\n", want: `q.yaml:2: tls.insecure_skip_verify: invalid boolean "maybe"`},
		{name: "bad URL in a list", file: "nodes:\n  - redis://a:1\n  - http://b:2\n", want: `q.yaml:3: nodes: node URL "http://b:2": scheme "http": want redis:// or rediss://`},
		{name: "two URLs in one item", file: "nodes:\n  - redis://a:1,redis://b:2\n", want: "q.yaml:2: nodes: want one URL per item"},
		{name: "list for a single value", file: "ttl: [1s]\n", want: "q.yaml:1: ttl: want a single value, got a list"},
		{name: "repeated key", file: "ttl: 1s\nkey_prefix: a\nttl: 2s\n", want: "q.yaml:3: ttl: repeated (first at line 1)"},
		{name: "not a mapping", file: "- redis://a:1\n", want: "q.yaml:1: the file: want a mapping of settings"},
		{name: "tls not a mapping", file: "tls: yes\n", want: `q.yaml:1: tls: want a mapping of TLS settings, got "yes"`},
		{name: "key prefix too long", file: "key_prefix: " + strings.Repeat("k", 129) + "\n", want: "q.yaml:1: key_prefix: 129 bytes, at most 128"},
		{name: "YAML syntax", file: "ttl: [1s\n", want: "q.yaml: yaml: line"},
		{name: "missing --config file", args: []string{"--config", "$DIR/none.yaml"}, want: "--config: open "},
		{name: "missing QUORUMLOCK_CONFIG file", args: []string{}, env: map[string]string{"QUORUMLOCK_CONFIG": "$DIR/none.yaml"}, want: "QUORUMLOCK_CONFIG: open "},
		{name: "bad environment value", args: []string{"--nodes", "redis://a:1"}, env: map[string]string{"QUORUMLOCK_TTL": "soon"}, want: `QUORUMLOCK_TTL: invalid duration "soon"`},
		{name: "bad flag value", args: []string{"--ttl", "soon"}, want: `--ttl: invalid duration "soon"`},
		{name: "password never shown", args: []string{"--nodes", "http://user:s3cret@a:1"}, want: `node URL "http://user:xxxxx@a:1": scheme "http": want redis://`},
		{name: "no nodes anywhere", args: []string{}, want: "no nodes: give --nodes, QUORUMLOCK_NODES or nodes: in a --config file"},
		{name: "certificate without key", args: []string{"--nodes", "rediss://a:1", "--tls-cert-file", "c.pem"}, want: "--tls-cert-file: a client certificate needs tls.key_file too"},
		{name: "key without certificate", file: "nodes: [rediss://a:1]\ntls:\n  key_file: k.pem\n", want: "q.yaml:3: tls.key_file: a client key needs tls.cert_file too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args == nil {
				args = []string{"--config", "$DIR/q.yaml"}
			}
			_, err := loadArgs(writeConfig(t, tt.file), args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v\nwant one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows a password: %v", err)
			}
		})
	}
}

func TestConfigTLSFiles(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	writeFile(t, filepath.Join(dir, "ca.pem"), certPEM)
	writeFile(t, filepath.Join(dir, "cert.pem"), certPEM)
	writeFile(t, filepath.Join(dir, "key.pem"), keyPEM)
	writeFile(t, filepath.Join(dir, "q.yaml"), []byte("nodes: [rediss://a:1]\ntls:\n  ca_file: "+dir+"/ca.pem\n  cert_file: "+dir+"/cert.pem\n  key_file: "+dir+"/key.pem\n"))
	cfg, err := loadArgs(dir, []string{"--config", "$DIR/q.yaml", "--tls-server-name", "redis.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cfg.options()
	if err != nil {
		t.Fatal(err)
	}
	if tc := opts.TLSConfig; tc == nil || tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.ServerName != "redis.example" {
		t.Fatalf("TLS config %+v: want roots, one certificate and the server name", tc)
	}

	writeFile(t, filepath.Join(dir, "ca.pem"), []byte("not PEM"))
	cfg, err = loadArgs(dir, []string{"--config", "$DIR/q.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.options(); err == nil || !strings.Contains(err.Error(), "q.yaml:3: tls.ca_file: no PEM certificate") {
		t.Fatalf("options() = %v; want the file, line and field of the bad CA file", err)
	}
	if opts, err := (&nodeConfig{nodes: []string{"redis://a:1"}}).options(); err != nil || opts.TLSConfig != nil {
		t.Fatalf("without TLS settings: %v, %+v; want no TLS config", err, opts.TLSConfig)
	}
}

func TestConfigOptions(t *testing.T) {
	cfg, err := loadArgs(t.TempDir(), []string{"--nodes", "redis://a:1", "--ttl", "3s", "--quarantine", "1m", "--key-prefix", "p:"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cfg.options()
	if err != nil {
		t.Fatal(err)
	}
	if opts.TTL != 3*time.Second || opts.Quarantine != time.Minute || opts.KeyPrefix != "p:" {
		t.Fatalf("options %+v: want TTL 3s, Quarantine 1m, KeyPrefix p:", opts)
	}
}

func TestSettingNames(t *testing.T) {
	for _, tt := range []struct{ key, flag, env string }{
		{"nodes", "nodes", "QUORUMLOCK_NODES"},
		{"node_timeout", "node-timeout", "QUORUMLOCK_NODE_TIMEOUT"},
		{"quarantine", "quarantine", "QUORUMLOCK_QUARANTINE"},
		{"tls.insecure_skip_verify", "tls-insecure-skip-verify", "QUORUMLOCK_TLS_INSECURE_SKIP_VERIFY"},
	} {
		s := lookupSetting(tt.key)
		if s == nil || s.flagName() != tt.flag || s.envName() != tt.env {
			t.Errorf("%s: want flag %s and variable %s", tt.key, tt.flag, tt.env)
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// selfSigned returns a self-signed certificate and its key, PEM-encoded.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redis.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestReadmeConfigLoads keeps the README's example file valid.
func TestReadmeConfigLoads(t *testing.T) {
	readme := string(readFile(t, "../../README.md"))
	_, block, ok := strings.Cut(readme, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README has no yaml block")
	}
	dir := writeConfig(t, block)
	cfg, err := loadArgs(dir, []string{"--config", "$DIR/q.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.nodes) != 3 || cfg.ttl != 10*time.Second || cfg.tls.serverName == "" || cfg.tls.keyFile == "" {
		t.Fatalf("README example loaded as %+v", cfg)
	}
}
