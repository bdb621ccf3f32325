package fencing

import (
	"fmt"
	"strconv"
)

// Token is a fencing token: unique per grant and increasing in the real-time order of grants of
// one lock name. The zero Token is never granted; it sorts below every granted one.
type Token uint64

// MaxToken is the largest token a grant may carry: 2^53 − 1, the largest integer that Redis's Lua
// (whose numbers are doubles) represents exactly.
const MaxToken Token = 1<<53 - 1

// String returns the token in decimal.
func (t Token) String() string { return strconv.FormatUint(uint64(t), 10) }

// ParseToken parses a decimal token, as written by Token.String, and refuses values above
// MaxToken.
func ParseToken(s string) (Token, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("fencing: token %q: %w", s, err)
	}
	if Token(v) > MaxToken {
		return 0, fmt.Errorf("fencing: token %s is above the maximum %d", s, MaxToken)
	}
	return Token(v), nil
}
