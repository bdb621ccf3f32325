package fencing

import "sync"

// Fence is an in-process guard: it admits a token only if it is not older than every token it
// admitted before. It is safe for concurrent use; the zero value admits any token.
type Fence struct {
	mu       sync.Mutex
	resource string
	last     Token
}

// NewFence returns a Fence for the named resource; the name appears in its errors.
func NewFence(resource string) *Fence { return &Fence{resource: resource} }

// Do runs write only if token is not older than the highest token admitted so far, and raises the
// fence to token first, all while holding the fence's lock, so that the check and the write form
// one atomic step. It returns a *StaleTokenError, without calling write, for an older token; an
// error from write is returned as is, and the fence stays raised (the holder of token was current).
func (f *Fence) Do(token Token, write func() error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if token < f.last {
		return &StaleTokenError{Resource: f.resource, Token: token, Fence: f.last}
	}
	f.last = token
	if write == nil {
		return nil
	}
	return write()
}

// Last returns the highest token admitted so far.
func (f *Fence) Last() Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}
