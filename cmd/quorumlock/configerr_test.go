package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestNodeURLErrorsNameTheURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"127.0.0.1:6379", `node URL "127.0.0.1:6379" has no scheme: want redis://127.0.0.1:6379 (or rediss:// for TLS)`},
		{"localhost:6379", `node URL "localhost:6379" has no scheme: want redis://localhost:6379 (or rediss:// for TLS)`},
		{"db.example", `node URL "db.example" has no scheme: want redis://db.example (or rediss:// for TLS)`},
		{"user:s3cret@h:6379", `node URL "xxxxx@h:6379" has no scheme: want redis://xxxxx@h:6379 (or rediss:// for TLS)`},
		{"http://user:s3cret@a:1", `node URL "http://user:xxxxx@a:1": scheme "http": want redis:// or rediss://`},
		{"redis://[::1", `node URL "redis://[::1": missing ']' in host`},
		{"redis://u:s3c%zz@h:1", `node URL "redis://u:xxxxx@h:1": malformed`},
		{"redis://h:99999", `node URL "redis://h:99999": port 99999: want 1..65535`},
		{"redis://h:1?timeout=1s", `node URL "redis://h:1?timeout=1s": query parameters`},
	}
	for _, tt := range tests {
		err := checkNodeURL(tt.url)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "s3c") {
			t.Errorf("checkNodeURL(%q) = %v\nwant an error starting %q, without the password", tt.url, err, tt.want)
		}
	}
	if err := checkNodeURL("redis://:s3cret@h:1/2"); err != nil {
		t.Errorf("a good URL: %v", err)
	}
}

// TestNodeURLErrorThroughEveryCommand: every command that takes --nodes says which URL lacks
// its scheme and how to write it.
func TestNodeURLErrorThroughEveryCommand(t *testing.T) {
	for _, cmd := range []string{"run", "doctor", "heal", "bench", "check"} {
		args := []string{cmd, "--nodes", "redis://a:1,127.0.0.1:6379"}
		if cmd == "run" {
			args = append(args, "job", "--", "true")
		}
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		want := `quorumlock ` + cmd + `: --nodes: node URL "127.0.0.1:6379" has no scheme: want redis://127.0.0.1:6379`
		if code != exitUsage || !strings.HasPrefix(errOut.String(), want) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant %d and %q", args, code, errOut.String(), exitUsage, want)
		}
	}
}
