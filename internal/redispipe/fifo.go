package redispipe

// fifo is a queue of calls in a ring buffer that grows as needed and never shrinks, so a busy
// connection allocates nothing per command to track it.
type fifo struct {
	buf        []*call
	head, size int
}

func (q *fifo) len() int { return q.size }

func (q *fifo) push(c *call) {
	if q.size == len(q.buf) {
		grown := make([]*call, max(16, 2*len(q.buf)))
		for i := range q.size {
			grown[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = c
	q.size++
}

// pop removes and returns the oldest call, or nil when empty.
func (q *fifo) pop() *call {
	if q.size == 0 {
		return nil
	}
	c := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return c
}

// peek returns the oldest call without removing it, or nil when empty.
func (q *fifo) peek() *call {
	if q.size == 0 {
		return nil
	}
	return q.buf[q.head]
}

// drain removes and returns every call, oldest first.
func (q *fifo) drain() []*call {
	out := make([]*call, 0, q.size)
	for c := q.pop(); c != nil; c = q.pop() {
		out = append(out, c)
	}
	return out
}
