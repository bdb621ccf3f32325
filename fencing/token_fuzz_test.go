package fencing_test

import (
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/quorumlock/quorumlock/fencing"
)

// FuzzParseToken: ParseToken reads exactly the decimal numbers in [0, MaxToken], each as its
// value, and refuses anything else with an error that starts with "fencing: "; Token.String
// round-trips through it for every token up to MaxToken and is refused above.
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"1795654211308755", "0", "1", "007", "9007199254740991", "9007199254740992",
		"18446744073709551615", "18446744073709551616", "", "-1", "+1", "1_000", "0x10", " 1", "1 ", "1e3", "١"} {
		f.Add(s, uint64(len(s)))
	}
	f.Add("", uint64(fencing.MaxToken))
	f.Add("", uint64(fencing.MaxToken)+1)
	f.Add("", ^uint64(0))
	f.Fuzz(func(t *testing.T, s string, n uint64) {
		tok, err := fencing.ParseToken(s)
		want, isNumber := new(big.Int).SetString(s, 10)
		digits := s != "" && strings.Trim(s, "0123456789") == ""
		inRange := isNumber && digits && want.Sign() >= 0 && want.Cmp(big.NewInt(int64(fencing.MaxToken))) <= 0
		switch {
		case err != nil && !strings.HasPrefix(err.Error(), "fencing: "):
			t.Fatalf("ParseToken(%q) = %v, want an error starting with \"fencing: \"", s, err)
		case err != nil && inRange:
			t.Fatalf("ParseToken(%q) = %v, want %v", s, err, want)
		case err == nil && (!inRange || want.Uint64() != uint64(tok)):
			t.Fatalf("ParseToken(%q) = %d, want an error or %v", s, tok, want)
		}
		back, err := fencing.ParseToken(fencing.Token(n).String())
		switch {
		case fencing.Token(n) <= fencing.MaxToken && (err != nil || back != fencing.Token(n)):
			t.Fatalf("ParseToken(Token(%d).String()) = %d, %v", n, back, err)
		case fencing.Token(n) > fencing.MaxToken && err == nil:
			t.Fatalf("ParseToken(%q) accepted a token above MaxToken", strconv.FormatUint(n, 10))
		}
	})
}
