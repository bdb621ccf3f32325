package redisguard

import (
	"context"
	"errors"
	"fmt"

	"github.com/quorumlock/quorumlock/fencing"
)

// Sentinel errors. A refused stale token is reported as a *fencing.StaleTokenError, which wraps
// fencing.ErrStaleToken.
var (
	// ErrVersionChanged is returned (wrapped in a *VersionError) by WriteIfVersion when the key
	// was written since the caller read its version.
	ErrVersionChanged = errors.New("redisguard: version changed")
	// ErrInvalidToken is returned for token 0 (never granted) or a token above fencing.MaxToken
	// (not exact in Redis's Lua); nothing is sent to Redis.
	ErrInvalidToken = errors.New("redisguard: invalid token")
	// ErrInvalidKey is returned for an empty key or one that starts with "}": the hash tag
	// "{"+key+"}" would be empty, and the value and the fence could land in different cluster
	// slots. Nothing is sent to Redis.
	ErrInvalidKey = errors.New("redisguard: invalid key")
	// ErrInvalidOptions is wrapped by the error of New for a nil client or a KeyPrefix with a
	// brace.
	ErrInvalidOptions = errors.New("redisguard: invalid options")
)

// VersionError reports a WriteIfVersion refused because the key's version is no longer the one
// the caller read: someone wrote in between, and the caller must read again.
type VersionError struct {
	Key     string        // the guarded key
	Token   fencing.Token // the token of the refused write (it was not stale)
	Version uint64        // the version the caller read
	Current uint64        // the version stored now
}

// Error names the key, the token and both versions.
func (e *VersionError) Error() string {
	return fmt.Sprintf("redisguard: write of %q with token %d refused: version %d was read, but it is now %d",
		e.Key, e.Token, e.Version, e.Current)
}

// Unwrap returns ErrVersionChanged.
func (e *VersionError) Unwrap() error { return ErrVersionChanged }

// check validates a key and a token before anything is sent.
func check(key string, token fencing.Token) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if token == 0 || token > fencing.MaxToken {
		return fmt.Errorf("%w: token %d for %q is not in [1, %d]", ErrInvalidToken, token, key, fencing.MaxToken)
	}
	return nil
}

// checkKey refuses keys whose hash tag would be empty.
func checkKey(key string) error {
	if key == "" || key[0] == '}' {
		return fmt.Errorf("%w: %q (empty, or starts with \"}\")", ErrInvalidKey, key)
	}
	return nil
}

// opError wraps the failure of a call to Redis, and the context's error when it has ended, so
// that errors.Is(err, context.DeadlineExceeded) works whatever the client reported.
func opError(ctx context.Context, op, key string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redisguard: %s %q: %w (%w)", op, key, cerr, err)
	}
	return fmt.Errorf("redisguard: %s %q: %w", op, key, err)
}
