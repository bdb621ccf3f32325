package redispipe

import "testing"

func TestFIFOKeepsOrderAcrossGrowthAndWrap(t *testing.T) {
	var q fifo
	calls := make([]Request, 100)
	for i := range calls {
		calls[i] = &argsCall{}
	}
	next, out := 0, 0
	for round := range 50 { // interleave pushes and pops so the ring wraps and grows
		for range round % 7 {
			if next < len(calls) {
				q.push(sent{req: calls[next]})
				next++
			}
		}
		for range round % 3 {
			if s, ok := q.pop(); ok {
				if s.req != calls[out] {
					t.Fatalf("pop %d returned call %p, want %p", out, s.req, calls[out])
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
	if _, ok := q.peek(); out != next || q.len() != 0 || ok {
		t.Fatalf("popped %d of %d pushed; len %d", out, next, q.len())
	}
}
