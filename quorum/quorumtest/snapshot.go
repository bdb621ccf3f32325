package quorumtest

import (
	"fmt"
	"time"
)

// Snapshot is a copy of a server's data at one moment, as an RDB file or an AOF that stopped
// there: restored later (RestartFrom), it is what a restart that reloads a snapshot, a crash
// under appendfsync everysec, a failover to a lagging replica or a restored backup bring back.
// It holds the lock's kinds of keys: strings and hashes.
type Snapshot struct {
	strings map[string]string
	hashes  map[string]map[string]string
	expiry  map[string]time.Time // absolute, as Redis stores it
}

// Snapshot copies the server's strings and hashes with their expiry times.
func (s *Server) Snapshot() (*Snapshot, error) {
	snap := &Snapshot{strings: map[string]string{}, hashes: map[string]map[string]string{}, expiry: map[string]time.Time{}}
	now := time.Now()
	for _, k := range s.Keys() {
		switch s.Type(k) {
		case "string":
			v, err := s.Get(k)
			if err != nil {
				continue // expired meanwhile
			}
			snap.strings[k] = v
		case "hash":
			fields, err := s.HKeys(k)
			if err != nil {
				continue
			}
			h := make(map[string]string, len(fields))
			for _, f := range fields {
				h[f] = s.HGet(k, f)
			}
			snap.hashes[k] = h
		default:
			return nil, fmt.Errorf("quorumtest: snapshot: key %q has type %s", k, s.Type(k))
		}
		if ttl := s.TTL(k); ttl > 0 {
			snap.expiry[k] = now.Add(ttl)
		}
	}
	return snap, nil
}

// RestartFrom restarts the server as a new process (a new run_id) whose data is snap: keys
// whose expiry time has passed since are gone, as they are when Redis loads a file.
func (s *Server) RestartFrom(snap *Snapshot) error {
	return s.restart(func() error {
		s.FlushAll()
		return s.load(snap)
	})
}

// load writes snap's keys that have not expired since.
func (s *Server) load(snap *Snapshot) error {
	now := time.Now()
	live := func(k string) (time.Duration, bool) {
		at, ok := snap.expiry[k]
		return at.Sub(now), !ok || at.After(now)
	}
	for k, v := range snap.strings {
		if ttl, ok := live(k); ok {
			if err := s.Set(k, v); err != nil {
				return err
			}
			s.setTTL(k, ttl)
		}
	}
	for k, h := range snap.hashes {
		if ttl, ok := live(k); ok {
			for f, v := range h {
				s.HSet(k, f, v)
			}
			s.setTTL(k, ttl)
		}
	}
	return nil
}

// setTTL gives k a TTL if it had one (ttl > 0 only for keys with an expiry).
func (s *Server) setTTL(k string, ttl time.Duration) {
	if ttl > 0 {
		s.SetTTL(k, ttl)
	}
}
