package redispipe

// fifo is a queue of written commands in a ring buffer that grows as needed and never shrinks,
// so a busy connection allocates nothing per command to track it.
type fifo struct {
	buf        []sent
	head, size int
}

func (q *fifo) len() int { return q.size }

func (q *fifo) push(s sent) {
	if q.size == len(q.buf) {
		grown := make([]sent, max(16, 2*len(q.buf)))
		for i := range q.size {
			grown[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = s
	q.size++
}

// pop removes and returns the oldest command; ok is false when empty.
func (q *fifo) pop() (s sent, ok bool) {
	if q.size == 0 {
		return sent{}, false
	}
	s = q.buf[q.head]
	q.buf[q.head] = sent{}
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return s, true
}

// peek returns the oldest command without removing it; ok is false when empty.
func (q *fifo) peek() (s sent, ok bool) {
	if q.size == 0 {
		return sent{}, false
	}
	return q.buf[q.head], true
}

// drain removes and returns the request of every command, oldest first.
func (q *fifo) drain() []Request {
	out := make([]Request, 0, q.size)
	for s, ok := q.pop(); ok; s, ok = q.pop() {
		out = append(out, s.req)
	}
	return out
}
