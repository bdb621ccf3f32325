package quorum

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest lock name, in bytes.
const MaxNameLen = 256

// validateName refuses names that are empty, too long, not UTF-8, contain control characters,
// or contain braces (they would break the {hash tag} that keeps a lock's keys together).
func validateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %d bytes, longer than %d", ErrInvalidName, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, name)
	}
	for _, r := range name {
		if unicode.IsControl(r) { // C0, DEL and C1 (U+0080–U+009F)
			return fmt.Errorf("%w: %q contains a control character", ErrInvalidName, name)
		}
		if r == '{' || r == '}' {
			return fmt.Errorf("%w: %q contains a brace, which would break the key's hash tag", ErrInvalidName, name)
		}
	}
	return nil
}

// keysFor lays out the keys of one lock under prefix: prefix{name}, prefix{name}:fence, and the
// per-node marker prefix + "node".
func keysFor(prefix, name string) keys {
	lock := prefix + "{" + name + "}"
	return keys{lock: lock, fence: lock + ":fence", meta: prefix + "node"}
}
