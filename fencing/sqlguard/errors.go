package sqlguard

import (
	"context"
	"errors"
	"fmt"

	"github.com/quorumlock/quorumlock/fencing"
)

// Sentinel errors. A refused stale token is reported as a *fencing.StaleTokenError, which wraps
// fencing.ErrStaleToken.
var (
	// ErrInvalidToken is returned for token 0 (never granted) or a token above fencing.MaxToken;
	// nothing is sent to the database.
	ErrInvalidToken = errors.New("sqlguard: invalid token")
	// ErrInvalidResource is returned for an empty resource name; nothing is sent to the
	// database.
	ErrInvalidResource = errors.New("sqlguard: invalid resource")
	// ErrInvalidOptions is wrapped by the error of New for a nil database, a missing or unknown
	// Dialect, or a Table that is not a plain SQL identifier.
	ErrInvalidOptions = errors.New("sqlguard: invalid options")
)

// check validates a resource and a token before anything is sent.
func check(resource string, token fencing.Token) error {
	if resource == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidResource)
	}
	if token == 0 || token > fencing.MaxToken {
		return fmt.Errorf("%w: token %d for %q is not in [1, %d]", ErrInvalidToken, token, resource, fencing.MaxToken)
	}
	return nil
}

// opError wraps the failure of a database call, and the context's error when it has ended, so
// that errors.Is(err, context.DeadlineExceeded) works whatever the driver reported.
func opError(ctx context.Context, op, resource string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("sqlguard: %s %q: %w (%w)", op, resource, cerr, err)
	}
	return fmt.Errorf("sqlguard: %s %q: %w", op, resource, err)
}
