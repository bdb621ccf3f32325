//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// story drives the example: a first holder works, is paused past its lease and resumed (its
// pending write is refused), then the next holder is killed and a third takes over.
func (s *supervisor) story(ctx context.Context) error {
	if _, err := s.await(ctx, "a first ledger write", 0, func(ev event) bool {
		return ev.Kind == kindAccepted
	}); err != nil {
		return err
	}
	if err := s.watch(ctx, s.cfg.run); err != nil {
		return err
	}
	paused, err := s.pauseHolder(ctx)
	if err != nil {
		return err
	}
	if err := s.resume(ctx, paused); err != nil {
		return err
	}
	if err := s.killHolder(ctx); err != nil {
		return err
	}
	return s.watch(ctx, s.cfg.tail)
}

// pauseHolder stops the holder with SIGSTOP in the middle of a batch, keeps it stopped for
// -pause, and waits until another replica has taken over and written with a larger token. It
// returns the stopped holder's last write.
func (s *supervisor) pauseHolder(ctx context.Context) (event, error) {
	holder, err := s.catchHolder(ctx)
	if err != nil {
		return holder, err
	}
	if err := s.signal(holder.Replica, syscall.SIGSTOP); err != nil {
		return holder, err
	}
	s.logf("supervisor", "SIGSTOP replica %d (pid %d), the holder (token %d), for %v: longer than its %v lease",
		holder.Replica, s.pid(holder.Replica), holder.Token, s.cfg.pause, s.cfg.ttl)
	stopped, mark := time.Now(), len(s.history)
	if err := s.watch(ctx, s.cfg.pause); err != nil {
		return holder, err
	}
	return holder, s.awaitTakeover(ctx, "during the pause", holder, mark, stopped)
}

// resume continues the paused holder and waits for its pending write to be refused and for it
// to notice that its lease is lost.
func (s *supervisor) resume(ctx context.Context, paused event) error {
	if err := s.signal(paused.Replica, syscall.SIGCONT); err != nil {
		return err
	}
	s.logf("supervisor", "SIGCONT replica %d: it goes on with its batch and writes with token %d",
		paused.Replica, paused.Token)
	mark := len(s.history)
	if _, err := s.await(ctx, "the resumed replica's stale write to be refused", mark, func(ev event) bool {
		return ev.Kind == kindRefused && ev.Replica == paused.Replica && ev.Token == paused.Token
	}); err != nil {
		return err
	}
	_, err := s.await(ctx, "the resumed replica to notice its lost lease", mark, func(ev event) bool {
		return ev.Kind == kindLost && ev.Replica == paused.Replica
	})
	return err
}

// killHolder kills the holder with SIGKILL in the middle of a batch and waits until another
// replica has taken over, after the TTL, and written with a larger token.
func (s *supervisor) killHolder(ctx context.Context) error {
	holder, err := s.catchHolder(ctx)
	if err != nil {
		return err
	}
	if err := s.signal(holder.Replica, syscall.SIGKILL); err != nil {
		return err
	}
	s.logf("supervisor", "kill -9 replica %d (pid %d), the holder (token %d): its lease runs out within %v",
		holder.Replica, s.pid(holder.Replica), holder.Token, s.cfg.ttl)
	return s.awaitTakeover(ctx, "after the kill", holder, len(s.history), time.Now())
}

// awaitTakeover waits for a write by a replica other than old's, with a larger token, among
// the events since history[mark]; it counts and prints the takeover, with its delay after the
// signal sent at signalled.
func (s *supervisor) awaitTakeover(ctx context.Context, when string, old event, mark int, signalled time.Time) error {
	ev, err := s.await(ctx, "another replica to take over "+when, mark, func(ev event) bool {
		return ev.Kind == kindAcquired && ev.Replica != old.Replica && ev.Token > old.Token
	})
	if err != nil {
		return err
	}
	if _, err := s.await(ctx, "the new holder's first write", mark, func(w event) bool {
		return w.Kind == kindAccepted && w.Replica == ev.Replica && w.Token == ev.Token
	}); err != nil {
		return err
	}
	s.takeovers++
	s.logf("supervisor", "takeover %d %s: replica %d, token %d > %d, granted %.2fs after the signal",
		s.takeovers, when, ev.Replica, ev.Token, old.Token, ev.at.Sub(signalled).Seconds())
	return nil
}

// catchHolder waits for the holder's next ledger write, then a quarter of a batch, so that a
// signal sent next lands in the middle of the holder's work, not in its transaction.
func (s *supervisor) catchHolder(ctx context.Context) (event, error) {
	ev, err := s.await(ctx, "a write by the holder", len(s.history), func(ev event) bool {
		return ev.Kind == kindAccepted && ev.Replica == s.holder
	})
	if err != nil {
		return ev, err
	}
	return ev, s.watch(ctx, s.cfg.work/4)
}

// await returns the first event since history[from] for which match is true, recording new
// events as they come; it fails after -step-timeout or when ctx ends.
func (s *supervisor) await(ctx context.Context, what string, from int, match func(event) bool) (event, error) {
	for _, ev := range s.history[from:] {
		if match(ev) {
			return ev, nil
		}
	}
	t := time.NewTimer(s.cfg.stepTimeout)
	defer t.Stop()
	for {
		select {
		case ev := <-s.events:
			ev = s.record(ev)
			if match(ev) {
				return ev, nil
			}
		case <-t.C:
			return event{}, fmt.Errorf("waited %v for %s", s.cfg.stepTimeout, what)
		case <-ctx.Done():
			return event{}, fmt.Errorf("interrupted while waiting for %s", what)
		}
	}
}

// watch records events for d.
func (s *supervisor) watch(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case ev := <-s.events:
			s.record(ev)
		case <-t.C:
			return nil
		case <-ctx.Done():
			return errors.New("interrupted")
		}
	}
}
