//go:build !quorumlock_mutants

package semaphore

import (
	"context"
	"errors"
)

// In this build no mutant can be enabled (see package internal/mutants): the semaphore-majority
// mutant's check is always false and its attempt is never made.

func (s *Semaphore) majorityMutant() bool { return false }

func (s *Semaphore) tryMajority(context.Context) (*Permit, error) {
	return nil, errors.New("semaphore: the semaphore-majority mutant needs the build tag quorumlock_mutants")
}
