package quorum

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzNames: a name is refused with ErrInvalidName exactly when it is empty, longer than
// MaxNameLen, not UTF-8, or holds a control character or a brace; an accepted name's keys carry
// it as their {hash tag} and collide with no key of another name (lock, fence, tombstones) nor
// with the node marker. validateName and keysFor are unexported, hence an internal test.
func FuzzNames(f *testing.F) {
	for _, s := range [][3]string{
		{"", "nightly-billing", "nightly-billing:fence"},
		{"quorumlock:", "a", "a}:fence{"},
		{"app:", "", "x"},
		{"app:", strings.Repeat("n", MaxNameLen), strings.Repeat("n", MaxNameLen+1)},
		{"p", "näme ✓", "\xff"},
		{"p", "tab\there", "del\x7f"},
		{"p", "nel\u0085", "ok"},         // a C1 control character: was accepted
		{"p", "gone:x", "a}:gone:{b"},    // a name that looks like a tombstone suffix
		{"", "node", "x"},                // the marker's suffix
		{"{", "a", "b"},                  // a brace in the prefix
		{"p", "a", "a "},                 // a trailing space is part of the name
		{"p", "\u2028line", "\ufeffbom"}, // format and separator characters are allowed
	} {
		f.Add(s[0], s[1], s[2], "0123456789abcdef0123456789abcdef")
	}
	f.Fuzz(func(t *testing.T, prefix, a, b, owner string) {
		errA, errB := validateName(a), validateName(b)
		checkNameVerdict(t, a, errA)
		checkNameVerdict(t, b, errB)
		if errA != nil || errB != nil {
			return
		}
		ka, kb := keysFor(prefix, a), keysFor(prefix, b)
		if !strings.ContainsAny(prefix, "{}") {
			for _, k := range []string{ka.lock, ka.fence, ka.lock + tombstoneInfix + owner} {
				if tag := hashTag(k); tag != a {
					t.Fatalf("key %q of name %q has hash tag %q", k, a, tag)
				}
			}
		}
		if ka.meta != kb.meta || ka.meta != prefix+"node" {
			t.Fatalf("marker keys %q and %q, want %q", ka.meta, kb.meta, prefix+"node")
		}
		keysA := []string{ka.lock, ka.fence, ka.lock + tombstoneInfix + owner, ka.lock + tombstoneInfix + owner + "x"}
		keysB := []string{kb.lock, kb.fence, kb.lock + tombstoneInfix + owner, kb.lock + tombstoneInfix + owner + "x"}
		seen := map[string]string{ka.meta: "marker"}
		for i, k := range keysA {
			if what, dup := seen[k]; dup {
				t.Fatalf("key %d of %q (%q) is also the %s", i, a, k, what)
			}
			seen[k] = "key of " + a
		}
		for i, k := range keysB {
			if what, dup := seen[k]; dup && (a != b || what == "marker") {
				t.Fatalf("key %d of %q (%q) is also a %s", i, b, k, what)
			}
		}
	})
}

// checkNameVerdict compares validateName's verdict with the rule its documentation states.
func checkNameVerdict(t *testing.T, name string, err error) {
	t.Helper()
	valid := name != "" && len(name) <= MaxNameLen && utf8.ValidString(name) &&
		!strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == '{' || r == '}' })
	switch {
	case err != nil && !errors.Is(err, ErrInvalidName):
		t.Fatalf("validateName(%q) = %v, want ErrInvalidName", name, err)
	case valid && err != nil:
		t.Fatalf("validateName(%q) = %v, want nil", name, err)
	case !valid && err == nil:
		t.Fatalf("validateName(%q) accepted a name that is empty, too long, not UTF-8, or holds a control character or a brace", name)
	}
}

// hashTag returns the part of key that Redis Cluster hashes: the text between the first '{' and
// the next '}' if it is not empty, else the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}
