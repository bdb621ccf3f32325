package fencing_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/quorumlock/quorumlock/fencing"
)

func TestFenceRefusesOlderTokens(t *testing.T) {
	f := fencing.NewFence("account-7")
	wrote := 0
	write := func() error { wrote++; return nil }
	for _, tok := range []fencing.Token{5, 5, 9} {
		if err := f.Do(tok, write); err != nil {
			t.Fatalf("Do(%d) = %v, want nil", tok, err)
		}
	}
	err := f.Do(7, write)
	var se *fencing.StaleTokenError
	if !errors.Is(err, fencing.ErrStaleToken) || !errors.As(err, &se) || se.Token != 7 || se.Fence != 9 {
		t.Fatalf("Do(7) after 9 = %v, want a StaleTokenError{7, 9}", err)
	}
	if wrote != 3 || f.Last() != 9 {
		t.Fatalf("wrote %d times, fence %d; want 3 and 9", wrote, f.Last())
	}
}

// TestFenceCheckAndWriteAreAtomic runs writers with random token order concurrently: the
// sequence of admitted writes must never go backwards.
func TestFenceCheckAndWriteAreAtomic(t *testing.T) {
	f := fencing.NewFence("r")
	var admitted []fencing.Token // appended only inside Do's write
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				tok := fencing.Token((i*7919 + w*104729) % 1000)
				_ = f.Do(tok, func() error { admitted = append(admitted, tok); return nil })
			}
		}()
	}
	wg.Wait()
	for i := 1; i < len(admitted); i++ {
		if admitted[i] < admitted[i-1] {
			t.Fatalf("write %d admitted token %d after %d", i, admitted[i], admitted[i-1])
		}
	}
}

func TestParseToken(t *testing.T) {
	if tok, err := fencing.ParseToken("1795654211308755"); err != nil || tok != 1795654211308755 {
		t.Fatalf("ParseToken = %v, %v", tok, err)
	}
	for _, bad := range []string{"", "-1", "x", "9007199254740992", "18446744073709551616"} {
		if _, err := fencing.ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) succeeded, want an error", bad)
		}
	}
}
