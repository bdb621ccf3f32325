package bench

import (
	"context"
	"errors"
	"fmt"

	"github.com/quorumlock/quorumlock/quorum"
)

// freshDeployment makes the benchmark's own key prefix a new deployment on every node: it
// deletes the prefix's marker (and so the token history of the benchmark's locks, which no
// store fences on) and brings the nodes into service as an operator would for new servers
// (quorum.Locker.Heal with NewDeployment). The benchmark writes only under prefixes of its own.
func freshDeployment(ctx context.Context, adm *admin, l *quorum.Locker, prefix string) error {
	if err := adm.drop(ctx, prefix+"node"); err != nil {
		return err
	}
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil && !errors.Is(err, quorum.ErrHealRefused) {
		return fmt.Errorf("bench: bring the nodes into service: %w", err)
	}
	return nil
}
