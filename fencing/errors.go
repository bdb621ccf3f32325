package fencing

import (
	"errors"
	"fmt"
)

// ErrStaleToken is returned (wrapped in a *StaleTokenError) when a guard refuses a write because
// a newer token has already been accepted.
var ErrStaleToken = errors.New("fencing: stale token")

// StaleTokenError reports a refused token and the newer one the guard had already accepted.
type StaleTokenError struct {
	Resource string // what the guard protects
	Token    Token  // the token that was refused
	Fence    Token  // the highest token accepted before
}

func (e *StaleTokenError) Error() string {
	return fmt.Sprintf("fencing: stale token %d for %q: token %d was already accepted", e.Token, e.Resource, e.Fence)
}

// Unwrap returns ErrStaleToken.
func (e *StaleTokenError) Unwrap() error { return ErrStaleToken }
