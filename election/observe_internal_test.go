package election

import (
	"fmt"
	"slices"
	"testing"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// read is one read of Locker.Holder, for the tracker's table.
type read struct {
	h   quorum.Holder
	err error
}

var (
	vacant      = read{err: fmt.Errorf("%w: %q", quorum.ErrNoHolder, "x")}
	unavailable = read{err: fmt.Errorf("%w: holder of %q", quorum.ErrUnavailable, "x")}
)

func held(id string, token fencing.Token) read { return read{h: quorum.Holder{ID: id, Token: token}} }

func leader(id string, token fencing.Token) Leader { return Leader{ID: id, Token: token} }

var zero = Leader{}

// TestTrackerSendsEveryChangeInOrder: the changes Observe sends for a sequence of reads.
func TestTrackerSendsEveryChangeInOrder(t *testing.T) {
	for _, tt := range []struct {
		name  string
		reads []read
		want  []Leader
	}{
		{"first vacant", []read{vacant, vacant}, []Leader{zero}},
		{"first held", []read{held("a", 5), held("a", 5)}, []Leader{leader("a", 5)}},
		{"unavailable first", []read{unavailable, held("a", 5)}, []Leader{leader("a", 5)}},
		{"leader, vacancy, next", []read{held("a", 5), vacant, held("b", 9)}, []Leader{leader("a", 5), zero, leader("b", 9)}},
		{"straight from one to the next", []read{held("a", 5), held("b", 9)}, []Leader{leader("a", 5), zero, leader("b", 9)}},
		{"a new term of the same candidate", []read{held("a", 5), held("a", 9)}, []Leader{leader("a", 5), zero, leader("a", 9)}},
		{"stale read ignored", []read{held("b", 9), held("a", 5), held("b", 9)}, []Leader{leader("b", 9)}},
		{"stale read after a vacancy ignored", []read{held("b", 9), vacant, held("a", 5)}, []Leader{leader("b", 9), zero}},
		{"unavailable is no vacancy", []read{held("a", 5), unavailable, held("a", 5)}, []Leader{leader("a", 5)}},
		{"a vacancy that missed the term", []read{held("a", 5), vacant, held("a", 5)}, []Leader{leader("a", 5), zero, leader("a", 5)}},
	} {
		var tr tracker
		var got []Leader
		for _, r := range tt.reads {
			got = append(got, tr.next(r.h, r.err)...)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: sent %v, want %v", tt.name, got, tt.want)
		}
	}
}
