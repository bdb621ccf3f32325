package quorum_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		opts quorum.Options
		want string // a fragment of the error naming the problem
	}{
		{quorum.Options{TTL: -time.Second}, "TTL is -1s"},
		{quorum.Options{DriftFactor: 0.5}, "DriftFactor is 0.5"},
		{quorum.Options{DriftFactor: -0.1}, "DriftFactor is -0.1"},
		{quorum.Options{TTL: time.Second, NodeTimeout: time.Second}, "NodeTimeout (1s) must be less than TTL (1s)"},
		{quorum.Options{TTL: 100 * time.Millisecond, NodeTimeout: 99 * time.Millisecond}, "leaves no validity"},
		{quorum.Options{TTL: 1500 * time.Microsecond}, "whole number of milliseconds"},
		{quorum.Options{Quarantine: time.Second}, "Quarantine (1s) must be at least TTL (10s)"},
		{quorum.Options{RetryDelayMin: time.Second, RetryDelayMax: time.Millisecond}, "RetryDelayMin"},
		{quorum.Options{TTL: time.Second, ExtendInterval: 2 * time.Second}, "ExtendInterval"},
	}
	for _, tc := range tests {
		_, err := tc.opts.Validate()
		if !errors.Is(err, quorum.ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidOptions mentioning %q", tc.opts, err, tc.want)
		}
	}
	if _, err := quorum.Dial(context.Background(), nil, quorum.Options{}); !errors.Is(err, quorum.ErrInvalidOptions) {
		t.Errorf("Dial with no nodes = %v, want ErrInvalidOptions", err)
	}
	c := quorumtest.NewCluster(t, 2)
	if _, err := quorum.Dial(context.Background(), append(c.URLs(), c.URLs()[0]), quorum.Options{}); !errors.Is(err, quorum.ErrInvalidOptions) ||
		!strings.Contains(err.Error(), "given twice") {
		t.Errorf("Dial with a node given twice = %v, want ErrInvalidOptions naming it", err)
	}
	o, err := quorum.Options{}.Validate()
	if err != nil {
		t.Fatalf("zero Options must mean the defaults: %v", err)
	}
	if o.TTL != quorum.DefaultTTL || o.ExtendInterval != quorum.DefaultTTL/3 || o.Quarantine != o.TTL {
		t.Errorf("defaults: %+v", o)
	}
}

// TestDefaultsNeverRefuseThemselves: whatever TTL and NodeTimeout a user sets, the defaults of
// the fields left zero (Quarantine above all) are valid.
func TestDefaultsNeverRefuseThemselves(t *testing.T) {
	for _, ttl := range []time.Duration{10 * time.Millisecond, 300 * time.Millisecond, time.Second, time.Hour} {
		for _, nt := range []time.Duration{0, time.Millisecond, ttl / 3, ttl / 2} {
			if _, err := (quorum.Options{TTL: ttl, NodeTimeout: nt}).Validate(); err != nil && !strings.Contains(err.Error(), "leaves no validity") {
				t.Errorf("Options{TTL: %v, NodeTimeout: %v}: %v", ttl, nt, err)
			}
		}
	}
}

func TestNameValidation(t *testing.T) {
	_, l := newLocker(t, 1, quorum.Options{})
	for _, name := range []string{"", strings.Repeat("x", quorum.MaxNameLen+1), "a{b}", "tab\there", "\xff"} {
		if _, err := l.TryAcquire(context.Background(), name); !errors.Is(err, quorum.ErrInvalidName) {
			t.Errorf("TryAcquire(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	for _, name := range []string{"x", strings.Repeat("x", quorum.MaxNameLen), "billing/nightly:eu-west", "日本"} {
		le, err := l.TryAcquire(context.Background(), name)
		if err != nil {
			t.Errorf("TryAcquire(%q) = %v, want granted", name, err)
			continue
		}
		_ = le.Release(context.Background())
	}
}
