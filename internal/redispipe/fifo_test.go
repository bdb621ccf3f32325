package redispipe

import "testing"

func TestFIFOKeepsOrderAcrossGrowthAndWrap(t *testing.T) {
	var q fifo
	calls := make([]*call, 100)
	for i := range calls {
		calls[i] = &call{}
	}
	next, out := 0, 0
	for round := range 50 { // interleave pushes and pops so the ring wraps and grows
		for range round % 7 {
			if next < len(calls) {
				q.push(calls[next])
				next++
			}
		}
		for range round % 3 {
			if c := q.pop(); c != nil {
				if c != calls[out] {
					t.Fatalf("pop %d returned call %p, want %p", out, c, calls[out])
				}
				out++
			}
		}
	}
	rest := q.drain()
	for _, c := range rest {
		if c != calls[out] {
			t.Fatalf("drain out of order at %d", out)
		}
		out++
	}
	if out != next || q.len() != 0 || q.peek() != nil {
		t.Fatalf("popped %d of %d pushed; len %d", out, next, q.len())
	}
}
