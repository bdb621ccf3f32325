package election_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
)

// TestInvalidOptionsFailEveryCall: New does not fail, but every call of an Election with an
// invalid ID or Options returns an error wrapping ErrInvalidOptions that names the field, and
// Observe's channel is closed without a value.
func TestInvalidOptionsFailEveryCall(t *testing.T) {
	c := newCluster(t, 1)
	l := c.Locker(t, quorum.Options{TTL: 10 * time.Second})
	for _, tt := range []struct {
		opts election.Options
		name string // named in the error
	}{
		{election.Options{ID: strings.Repeat("x", quorum.MaxIDLen+1)}, "ID of 129 bytes"},
		{election.Options{ID: "a{b}"}, "ID"},
		{election.Options{ID: "tab\there"}, "ID"},
		{election.Options{StopMargin: 7 * time.Second}, "StopMargin (7s)"}, // + ExtendInterval 3.33s > TTL
		{election.Options{StopMargin: -time.Second}, "StopMargin (-1s)"},
		{election.Options{StopTimeout: -time.Second}, "StopTimeout"},
		{election.Options{ObserveInterval: -time.Second}, "ObserveInterval"},
	} {
		e := election.New(l, "scheduler", tt.opts)
		ctx := context.Background()
		_, cerr := e.Campaign(ctx)
		_, lerr := e.Leader(ctx)
		rerr := e.Run(ctx, func(context.Context, *election.Term) error { t.Error("Run called fn"); return nil })
		for _, err := range []error{cerr, lerr, rerr} {
			if !errors.Is(err, election.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.name) {
				t.Errorf("%+v: %v; want ErrInvalidOptions naming %s", tt.opts, err, tt.name)
			}
		}
		if ldr, ok := <-e.Observe(ctx); ok {
			t.Errorf("%+v: Observe sent %+v; want its channel closed", tt.opts, ldr)
		}
	}
}

// TestInvalidNameFailsEveryCall: the name is checked by package quorum, at the first call.
func TestInvalidNameFailsEveryCall(t *testing.T) {
	c := newCluster(t, 1)
	e := election.New(c.Locker(t, patient(quorum.Options{})), "bad{name}", election.Options{})
	ctx := context.Background()
	if _, err := e.Campaign(ctx); !errors.Is(err, quorum.ErrInvalidName) {
		t.Errorf("Campaign = %v, want quorum.ErrInvalidName", err)
	}
	if _, err := e.Leader(ctx); !errors.Is(err, quorum.ErrInvalidName) {
		t.Errorf("Leader = %v, want quorum.ErrInvalidName", err)
	}
	if ldr, ok := <-e.Observe(ctx); ok {
		t.Errorf("Observe sent %+v; want its channel closed", ldr)
	}
}

// TestDefaultIDIsHostAndPid: without an ID, the candidate is named by its host and process.
func TestDefaultIDIsHostAndPid(t *testing.T) {
	c := newCluster(t, 1)
	e := election.New(c.Locker(t, patient(quorum.Options{})), "scheduler", election.Options{})
	host, _ := os.Hostname()
	if want := host + ":" + strconv.Itoa(os.Getpid()); e.ID() != want {
		t.Errorf("ID() = %q, want %q", e.ID(), want)
	}
	term := mustCampaign(t, e)
	if ldr, err := e.Leader(context.Background()); err != nil || ldr.ID != e.ID() || ldr != term.Leader() {
		t.Errorf("Leader = %+v, %v; want %q", ldr, err, e.ID())
	}
}
