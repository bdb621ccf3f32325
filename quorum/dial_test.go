package quorum_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

func TestDialRefusesBadURLsByName(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:6379/notanumber", "redis://[::1"} {
		_, err := quorum.Dial(ctx, []string{u}, quorum.Options{})
		if !errors.Is(err, quorum.ErrInvalidOptions) || !strings.Contains(err.Error(), "node URL") {
			t.Errorf("Dial(%q) = %v, want ErrInvalidOptions naming the URL", u, err)
		}
	}
	if _, err := quorum.Dial(ctx, nil, quorum.Options{}); !errors.Is(err, quorum.ErrInvalidOptions) {
		t.Errorf("Dial with no URLs = %v, want ErrInvalidOptions", err)
	}
}

// TestDialNeverPrintsPasswords: an unreachable node's error names it without its password.
func TestDialNeverPrintsPasswords(t *testing.T) {
	ctx := context.Background()
	_, err := quorum.Dial(ctx, []string{"redis://app:s3cret@127.0.0.1:1/2", "rediss://app:s3cret@127.0.0.1:1/3"},
		quorum.Options{NodeTimeout: 20 * time.Millisecond})
	if !errors.Is(err, quorum.ErrUnavailable) {
		t.Fatalf("Dial of unreachable nodes = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "127.0.0.1:1/2") {
		t.Fatalf("error %q must name the node and hide the password", err)
	}
}
